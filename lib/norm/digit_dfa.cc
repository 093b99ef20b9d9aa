// digit_dfa.cc: see digit_dfa.h. The expression is parsed into a tree
// (counted repetitions written out), the tree gives a position automaton
// (Glushkov: first, last and follow sets of the digit-class positions), and
// the subset construction makes it deterministic.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <new>
#include <vector>

#include "norm/digit_dfa.h"

namespace {

// Limits that keep a hostile or mistaken pattern from taking the machine:
// libphonenumber's largest pattern makes some 2,000 nodes.
constexpr size_t kMaxNodes = 100000;
constexpr int kMaxDepth = 64;
constexpr int kMaxRepeat = 64;

struct Node {
    enum Kind { kLeaf, kCat, kAlt, kStar, kOpt } kind;
    uint16_t mask = 0; // kLeaf: bit d set when the digit d matches
    std::vector<int> kids;
};

struct Parser {
    const char *p, *end;
    std::vector<Node> nodes;
    bool ok = true;
    int depth = 0;

    int add(Node::Kind kind, uint16_t mask = 0)
    {
        if (nodes.size() >= kMaxNodes) {
            ok = false;
            return 0;
        }
        nodes.push_back(Node{kind, mask, {}});
        return int(nodes.size() - 1);
    }

    // A copy of the subtree at n, with leaves of their own.
    int clone(int n)
    {
        int c = add(nodes[size_t(n)].kind, nodes[size_t(n)].mask);
        if (!ok)
            return 0;
        std::vector<int> kids = nodes[size_t(n)].kids;
        for (int k : kids) {
            int ck = clone(k);
            if (!ok)
                return 0;
            nodes[size_t(c)].kids.push_back(ck);
        }
        return c;
    }

    bool number(int *out)
    {
        if (p == end || *p < '0' || *p > '9')
            return false;
        int v = 0;
        while (p < end && *p >= '0' && *p <= '9') {
            v = v * 10 + (*p++ - '0');
            if (v > kMaxRepeat)
                return false;
        }
        *out = v;
        return true;
    }

    // "[...]" after the '[': digits and ranges of digits only.
    uint16_t klass()
    {
        uint16_t mask = 0;
        if (p < end && *p == ']')
            return 0; // "[]..." means something else to PCRE2
        while (p < end && *p != ']') {
            if (*p == '\\' && p + 1 < end && p[1] == 'd') {
                mask |= 0x3FF;
                p += 2;
                continue;
            }
            if (*p < '0' || *p > '9')
                return 0;
            int lo = *p++ - '0', hi = lo;
            if (p + 1 < end && *p == '-' && p[1] != ']') {
                if (p[1] < '0' || p[1] > '9')
                    return 0;
                hi = p[1] - '0';
                p += 2;
                if (hi < lo)
                    return 0;
            }
            for (int d = lo; d <= hi; d++)
                mask |= uint16_t(1u << d);
        }
        if (p == end)
            return 0;
        p++; // ']'
        return mask;
    }

    int atom()
    {
        char c = *p;
        if (c >= '0' && c <= '9') {
            p++;
            return add(Node::kLeaf, uint16_t(1u << (c - '0')));
        }
        if (c == '\\') {
            if (p + 1 < end && p[1] == 'd') {
                p += 2;
                return add(Node::kLeaf, 0x3FF);
            }
            ok = false;
            return 0;
        }
        if (c == '[') {
            p++;
            uint16_t mask = klass();
            if (!mask) {
                ok = false;
                return 0;
            }
            return add(Node::kLeaf, mask);
        }
        if (c == '(') {
            p++;
            if (p < end && *p == '?') {
                if (p + 1 < end && p[1] == ':') {
                    p += 2;
                } else {
                    ok = false; // lookaround, named group, option setting...
                    return 0;
                }
            }
            if (++depth > kMaxDepth) {
                ok = false;
                return 0;
            }
            int n = alternation();
            depth--;
            if (!ok || p == end || *p != ')') {
                ok = false;
                return 0;
            }
            p++;
            return n;
        }
        ok = false; // '.', '^', '$', a letter, a stray quantifier...
        return 0;
    }

    // atom{lo,hi} (hi < 0: no upper bound), written out.
    int repeat(int a, int lo, int hi)
    {
        int cat = add(Node::kCat);
        for (int i = 0; ok && i < lo; i++) {
            int c = i == 0 ? a : clone(a);
            nodes[size_t(cat)].kids.push_back(c);
        }
        if (!ok)
            return 0;
        if (hi < 0) {
            int star = add(Node::kStar);
            int c = lo == 0 ? a : clone(a);
            if (!ok)
                return 0;
            nodes[size_t(star)].kids.push_back(c);
            nodes[size_t(cat)].kids.push_back(star);
            return cat;
        }
        // (a(a(a)?)?)? for the optional ones
        int tail = -1;
        for (int i = hi - lo; ok && i > 0; i--) {
            int inner = add(Node::kCat);
            int c = lo == 0 && i == 1 ? a : clone(a);
            if (!ok)
                return 0;
            nodes[size_t(inner)].kids.push_back(c);
            if (tail >= 0)
                nodes[size_t(inner)].kids.push_back(tail);
            tail = add(Node::kOpt);
            nodes[size_t(tail)].kids.push_back(inner);
        }
        if (!ok)
            return 0;
        if (tail >= 0)
            nodes[size_t(cat)].kids.push_back(tail);
        return cat;
    }

    int quantified()
    {
        int a = atom();
        if (!ok || p == end)
            return a;
        int lo, hi;
        switch (*p) {
        case '?': lo = 0, hi = 1, p++; break;
        case '*': lo = 0, hi = -1, p++; break;
        case '+': lo = 1, hi = -1, p++; break;
        case '{': {
            const char *save = p++;
            if (!number(&lo)) {
                p = save;
                ok = false; // PCRE2 would read a literal '{': not a digit
                return 0;
            }
            hi = lo;
            if (p < end && *p == ',') {
                p++;
                if (p < end && *p == '}')
                    hi = -1;
                else if (!number(&hi) || hi < lo)
                    ok = false;
            }
            if (!ok || p == end || *p != '}') {
                ok = false;
                return 0;
            }
            p++;
            break;
        }
        default: return a;
        }
        // A lazy or possessive mark, or a quantifier quantified: not ours.
        if (p < end && (*p == '?' || *p == '+' || *p == '*' || *p == '{')) {
            ok = false;
            return 0;
        }
        return repeat(a, lo, hi);
    }

    int sequence()
    {
        int cat = add(Node::kCat);
        while (ok && p < end && *p != '|' && *p != ')') {
            int q = quantified();
            if (ok)
                nodes[size_t(cat)].kids.push_back(q);
        }
        return cat;
    }

    int alternation()
    {
        int alt = add(Node::kAlt);
        for (;;) {
            int s = sequence();
            if (!ok)
                return 0;
            nodes[size_t(alt)].kids.push_back(s);
            if (p == end || *p != '|')
                return alt;
            p++;
        }
    }
};

struct Info {
    bool nullable;
    std::vector<int> first, last;
};

struct Glushkov {
    const std::vector<Node> &nodes;
    std::vector<int> position_of;      // node -> position (leaves), from 1
    std::vector<uint16_t> mask;        // position -> digits
    std::vector<std::vector<int>> follow; // position -> positions; 0 is the start

    explicit Glushkov(const std::vector<Node> &n) : nodes(n), position_of(n.size(), 0)
    {
        mask.push_back(0);
        follow.emplace_back();
        for (size_t i = 0; i < n.size(); i++)
            if (n[i].kind == Node::kLeaf) {
                position_of[i] = int(mask.size());
                mask.push_back(n[i].mask);
                follow.emplace_back();
            }
    }

    static void join(std::vector<int> &into, const std::vector<int> &from)
    {
        into.insert(into.end(), from.begin(), from.end());
    }

    Info info(int n)
    {
        const Node &node = nodes[size_t(n)];
        Info r{false, {}, {}};
        switch (node.kind) {
        case Node::kLeaf:
            r.first = r.last = {position_of[size_t(n)]};
            return r;
        case Node::kCat: {
            r.nullable = true;
            for (int k : node.kids) {
                Info ki = info(k);
                for (int p : r.last)
                    join(follow[size_t(p)], ki.first);
                if (r.nullable)
                    join(r.first, ki.first);
                if (ki.nullable)
                    join(r.last, ki.last);
                else
                    r.last = std::move(ki.last);
                r.nullable = r.nullable && ki.nullable;
            }
            return r;
        }
        case Node::kAlt:
            for (int k : node.kids) {
                Info ki = info(k);
                r.nullable = r.nullable || ki.nullable;
                join(r.first, ki.first);
                join(r.last, ki.last);
            }
            return r;
        case Node::kStar:
        case Node::kOpt:
            r = info(node.kids[0]);
            if (node.kind == Node::kStar)
                for (int p : r.last)
                    join(follow[size_t(p)], r.first);
            r.nullable = true;
            return r;
        }
        return r;
    }
};

void sort_unique(std::vector<int> &v)
{
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
}

cdp_digit_dfa *build(const char *pattern, size_t len, size_t max_states)
{
    Parser ps{pattern, pattern + len, {}, true, 0};
    int root = ps.alternation();
    if (!ps.ok || ps.p != ps.end)
        return nullptr; // an unmatched ')', say
    Glushkov g(ps.nodes);
    Info top = g.info(root);
    g.follow[0] = top.first;
    for (auto &f : g.follow)
        sort_unique(f);
    std::vector<bool> is_last(g.mask.size(), false);
    for (int p : top.last)
        is_last[size_t(p)] = true;

    std::vector<uint32_t> next(20, 0); // 10 per state; 0 is dead, 1 the start
    std::vector<uint8_t> accept = {0, uint8_t(top.nullable)};
    std::map<std::vector<int>, uint32_t> ids;
    std::vector<std::vector<int>> sets = {{}, {0}}; // dead, start
    ids[sets[0]] = 0;
    ids[sets[1]] = 1;
    for (size_t s = 1; s < sets.size(); s++) {
        for (int d = 0; d < 10; d++) {
            std::vector<int> to;
            for (int p : sets[s])
                for (int q : g.follow[size_t(p)])
                    if (g.mask[size_t(q)] >> d & 1)
                        to.push_back(q);
            sort_unique(to);
            auto it = ids.find(to);
            uint32_t id;
            if (it != ids.end()) {
                id = it->second;
            } else {
                if (sets.size() >= max_states)
                    return nullptr;
                id = uint32_t(sets.size());
                bool accepting = false;
                for (int q : to)
                    accepting = accepting || is_last[size_t(q)];
                ids.emplace(to, id);
                sets.push_back(std::move(to));
                accept.push_back(accepting);
                next.resize(next.size() + 10, 0);
            }
            next[s * 10 + size_t(d)] = id;
        }
    }
    std::unique_ptr<uint32_t[]> next_out(new uint32_t[next.size()]);
    std::unique_ptr<uint8_t[]> accept_out(new uint8_t[accept.size()]);
    std::copy(next.begin(), next.end(), next_out.get());
    std::copy(accept.begin(), accept.end(), accept_out.get());
    auto *dfa = new cdp_digit_dfa;
    dfa->nstates = sets.size();
    dfa->next = next_out.release();
    dfa->accept = accept_out.release();
    return dfa;
}

} // namespace

extern "C" {

struct cdp_digit_dfa *cdp_digit_dfa_new(const char *pattern, size_t len, size_t max_states)
{
    if (max_states < 2)
        return nullptr;
    try {
        return build(pattern, len, max_states);
    } catch (...) {
        return nullptr; // out of memory: the caller's engine does the work
    }
}

void cdp_digit_dfa_free(struct cdp_digit_dfa *dfa)
{
    if (!dfa)
        return;
    delete[] dfa->next;
    delete[] dfa->accept;
    delete dfa;
}

} // extern "C"
