#!/bin/sh
# nightly-cluster.sh: nightly.sh's night, with identity resolution, the
# golden profiles and the segments spread over N shards on the hosts of a
# GNU parallel sshlogin list: the same outputs as nightly.sh (as sorted
# files).
#
#   examples/nightly-cluster.sh [-S SSHLOGINS] [-n SHARDS] [EXAMPLES_DIR [OUT_DIR]]
#
# -S SSHLOGINS   GNU parallel's --sshlogin: "host1,host2,..." (every host
#                needs the cdp programs on its PATH and rsync, and is reached
#                by ssh without a password; name this host too for it to
#                take jobs), or ":" alone for this machine only (default)
# -n SHARDS      how many shards (default 4)
#
# The chain (see cdp(7), BEYOND ONE MACHINE):
#  1. nightly.sh ingests the exports on this host (CDP_NIGHTLY_STEPS=ingest);
#  2. cdp-shard splits the canonical records into SHARDS by record id, with
#     the order file;
#  3. on the hosts, one job a shard: cdp-dedupe --edges;
#  4. here: cdp-dedupe --resolve (the state, journal and links as nightly.sh
#     keeps them), each shard's ids file;
#  5. on the hosts: cdp-dedupe --apply;
#  6. here: cdp-shard --interleave splits the linked records again, by
#     cdp_id, in the order one cdp-dedupe writes them; and gathers them into
#     identified.ndjson.zst for cdp-recommend;
#  7. on the hosts: cdp-merge, one job a person shard, and the shard's
#     population summary (cdp-segment --summarize); here the profiles are
#     gathered (sorted by cdp_id, as cdp-merge writes them), and the
#     summaries joined into the whole population's RFM edges and VIP
#     threshold (cdp-segment --join-summaries);
#  8. on the hosts: cdp-segment --figures --shard I/N, with the last run's
#     segments and the journal; here the segments and audiences are
#     gathered and the shards' reports joined (--join-reports) into the
#     report and the history;
#  9. nightly.sh makes the recommendations on this host
#     (CDP_NIGHTLY_STEPS=recommend), and cdp-shard splits them by cdp_id;
# 10. the campaign files of nightly.sh (cdp-export(1), SHARDED EXPORTS): on
#     the hosts, each person shard's refusals and claims on contacts
#     (cdp-export --summarize); here, for each file, the decisions that look
#     across persons (--join-summaries); on the hosts, each shard's rows
#     (--contacts); here, each file gathered: its header row, then the
#     shards' rows (sorted: a platform takes them in any order);
# 11. nightly.sh does the rest on this host (CDP_NIGHTLY_STEPS=finish):
#     erasure requests, the report.
# The shard jobs move their files with parallel's --transferfile, --return
# and --cleanup (on ":" nothing moves); a failed job is run again
# (--retries 3) and the run stops at the first job that fails for good
# (--halt now,fail=1). Every program writes its outputs atomically, so a job
# killed half-way leaves no partial file to be used by the next step.
# Shard files are kept in OUT_DIR/shards.
#
# Needs what nightly.sh needs, and GNU parallel (Debian: parallel).

set -eu
umask 077 # the gathered files hold personal data, as every cdp output does

prog=nightly-cluster.sh
script_dir=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)

usage() {
    echo "Usage: $prog [-S SSHLOGINS] [-n SHARDS] [EXAMPLES_DIR [OUT_DIR]]"
}
# shellcheck source=examples/args.sh
. "$script_dir/args.sh"

hosts=:
shards=4
while [ $# -gt 0 ]; do
    case $1 in
    -h | --help)
        usage
        exit 0
        ;;
    -S)
        need_value $#
        hosts=$2
        shift 2
        ;;
    -n)
        need_value $#
        shards=$2
        shift 2
        ;;
    --)
        shift
        break
        ;;
    -*) usage_error ;;
    *) break ;;
    esac
done
case $shards in
'' | *[!0-9]* | 0*) echo "$prog: -n takes a number of shards from 1, not '$shards'" >&2; exit 2 ;;
esac
[ $# -le 2 ] || usage_error

# As given: nightly.sh names the exports in its logs and rejects files.
in_dir=${1:-$script_dir}
[ -d "$in_dir" ] || die "no such folder: $in_dir"
in_abs=$(CDPATH='' cd -- "$in_dir" && pwd)
out_dir=${2:-./nightly-out}
as_of=${CDP_AS_OF:-2026-11-20}
for tool in parallel cdp-shard cdp-dedupe cdp-merge cdp-segment cdp-export jq zstd sort; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found on PATH"
done

# 1. Ingest, as nightly.sh does.
CDP_NIGHTLY_STEPS=ingest "$script_dir/nightly.sh" "$in_dir" "$out_dir"

here=$(pwd)
cd "$out_dir"
mkdir -p shards
last=$((shards - 1))
numbers=$(seq 0 "$last")
# shard_files PATTERN: PATTERN with % replaced by 0, 1, ... SHARDS-1.
shard_files() {
    for i in $numbers; do
        printf '%s\n' "$1" | sed "s/%/$i/"
    done
}
# on_hosts [PARALLEL OPTION]... COMMAND: COMMAND once a shard ({} is the
# shard number) on the hosts, each job in a fresh folder (--workdir ...)
# that its files are copied to and from; on ":" alone, here, where the files
# are (parallel's transfer options do nothing then).
on_hosts() {
    if [ "$hosts" = : ]; then
        set -- --sshlogin : "$@"
    else
        set -- --sshlogin "$hosts" --workdir ... --cleanup "$@"
    fi
    # shellcheck disable=SC2086 # $numbers is one word a shard
    parallel --will-cite --retries 3 --halt now,fail=1 "$@" ::: $numbers
}
# move OPTION FILE: parallel's --transferfile or --return FILE, for remote
# hosts only.
move() {
    [ "$hosts" = : ] || printf -- '--%s %s\n' "$1" "$2"
}
# The forget list, when there is one, goes with every job (parallel refuses
# --basefile with --workdir ...: its files must be absolute paths).
forget_files=
if [ -f forgotten.list ] && [ "$hosts" != : ]; then
    forget_files="--transferfile forgotten.list --transferfile forgotten.list.secret"
fi

# 2. The canonical records into shards by record id.
echo "== shard: $shards shards on $hosts"
cdp-shard -q -n "$shards" --order shards/in.order -o 'shards/in-%d.ndjson.zst' \
    crm.ndjson.zst shop.ndjson.zst pos.ndjson.zst web.ndjson.zst

# 3. Each shard's edges.
echo "== dedupe, step 1: edges"
# shellcheck disable=SC2046,SC2086 # options or none
on_hosts $forget_files $(move transferfile 'shards/in-{}.ndjson.zst') $(move return 'shards/edges-{}.zst') \
    cdp-dedupe -q --forgotten forgotten.list --edges -o shards/edges-{}.zst shards/in-{}.ndjson.zst

# 4. One graph, the ids.
echo "== dedupe, step 2: resolve"
# shellcheck disable=SC2046 # one file a shard
if ! cdp-dedupe --resolve shards/in.order --state identity.state.zst --journal identity.journal.ndjson \
    --links links.ndjson --stats stats-dedupe.json --forgotten forgotten.list \
    --order-out shards/identified.order -o 'shards/ids-%d.zst' $(shard_files shards/edges-%.zst) \
    2>dedupe.log; then
    cat dedupe.log >&2
    die "cdp-dedupe --resolve failed"
fi

# 5. Each shard's records with their ids.
echo "== dedupe, step 3: apply"
# shellcheck disable=SC2046 # options or none
on_hosts $(move transferfile 'shards/in-{}.ndjson.zst') $(move transferfile 'shards/ids-{}.zst') \
    $(move return 'shards/identified-{}.ndjson.zst') \
    cdp-dedupe -q --apply shards/ids-{}.zst -o shards/identified-{}.ndjson.zst shards/in-{}.ndjson.zst

# 6. Again into shards, by person; and all of them for cdp-recommend.
echo "== shard by cdp_id"
# shellcheck disable=SC2046 # one file a shard
cdp-shard -q -n "$shards" --by cdp_id --interleave shards/identified.order \
    -o 'shards/person-%d.ndjson.zst' $(shard_files shards/identified-%.ndjson.zst)
# shellcheck disable=SC2046 # one file a shard
cdp-shard -q -n 1 --interleave shards/identified.order -o 'shards/identified-all%d.ndjson.zst' \
    $(shard_files shards/identified-%.ndjson.zst)
mv shards/identified-all0.ndjson.zst identified.ndjson.zst

# 7. Each person shard's profiles, gathered in cdp_id order.
echo "== merge"
# shellcheck disable=SC2046 # options or none
if ! on_hosts $(move transferfile 'shards/person-{}.ndjson.zst') $(move return 'shards/profiles-{}.ndjson.zst') \
    $(move return 'shards/stats-merge-{}.json') $(move return 'shards/summary-{}.ndjson') \
    'cdp-merge --as-of "'"$as_of"'" --prefer crm,shop,pos,web --stats shards/stats-merge-{}.json \
        -o shards/profiles-{}.ndjson.zst shards/person-{}.ndjson.zst &&
     cdp-segment -q --summarize -o shards/summary-{}.ndjson shards/profiles-{}.ndjson.zst' 2>merge.log; then
    cat merge.log >&2
    die "cdp-merge failed"
fi
# The shards' counts summed: those of one cdp-merge, for the report.
# shellcheck disable=SC2046 # one file a shard
jq -sc 'reduce .[1:][] as $s (.[0]; reduce ($s | paths(numbers)) as $p (.; setpath($p; getpath($p) + ($s | getpath($p)))))' \
    $(shard_files shards/stats-merge-%.json) >stats-merge.json.tmp
# (a new file, not rewritten in place: nights/DATE keeps hard links to it)
mv stats-merge.json.tmp stats-merge.json
# shellcheck disable=SC2046 # one file a shard
zstd -dcq $(shard_files shards/profiles-%.ndjson.zst) | LC_ALL=C sort | zstd -q -o profiles.ndjson.zst.tmp
mv profiles.ndjson.zst.tmp profiles.ndjson.zst

# 8. Segments: the whole population's figures, then one job a person shard
# with nightly.sh's rules and options.
echo "== segment"
cp "$in_abs/segments.rules" shards/segments.rules
rules="--as-of $as_of --use rfm,birthday,cart,lapsed,category,vip --segments shards/segments.rules"
# shellcheck disable=SC2046,SC2086 # options; one file a shard
cdp-segment -q $rules --join-summaries -o shards/figures.json $(shard_files shards/summary-%.ndjson)
if [ -f segments.ndjson.zst ]; then
    mv segments.ndjson.zst segments.prev.ndjson.zst
fi
previous= previous_files=
if [ -f segments.prev.ndjson.zst ]; then
    previous="--previous segments.prev.ndjson.zst --journal identity.journal.ndjson"
    if [ "$hosts" != : ]; then
        previous_files="--transferfile segments.prev.ndjson.zst --transferfile identity.journal.ndjson"
    fi
fi
rm -rf shards/audiences-*
# shellcheck disable=SC2046,SC2086 # options or none
if ! on_hosts $(move transferfile shards/segments.rules) $(move transferfile shards/figures.json) $previous_files \
    $(move transferfile 'shards/profiles-{}.ndjson.zst') $(move return 'shards/segments-{}.ndjson.zst') \
    $(move return 'shards/report-{}.json') $(move return 'shards/stats-segment-{}.json') \
    $(move return 'shards/audiences-{}') \
    cdp-segment $rules --holdout 10 --salt uyutny-dom $previous --figures shards/figures.json \
    --shard "{}/$shards" --report shards/report-{}.json --split shards/audiences-{} \
    --stats shards/stats-segment-{}.json -o shards/segments-{}.ndjson.zst shards/profiles-{}.ndjson.zst \
    2>segment.log; then
    cat segment.log >&2
    die "cdp-segment failed"
fi
# The shards' outputs gathered: the segments, each audience, the report and
# the history as one run's, the counts summed.
# shellcheck disable=SC2046 # one file a shard
zstd -dcq $(shard_files shards/segments-%.ndjson.zst) | LC_ALL=C sort | zstd -q -o segments.ndjson.zst.tmp
mv segments.ndjson.zst.tmp segments.ndjson.zst
mkdir -p audiences
for name in $(ls shards/audiences-* | grep '\.ndjson$' | sort -u); do
    # shellcheck disable=SC2046 # one file a shard
    cat $(shard_files "shards/audiences-%/$name") | LC_ALL=C sort >"audiences/$name.tmp"
    mv "audiences/$name.tmp" "audiences/$name"
done
# shellcheck disable=SC2046 # one file a shard
cdp-segment -q --join-reports --report segments-report.json --history segments-history.ndjson \
    $(shard_files shards/report-%.json)
# shellcheck disable=SC2046 # one file a shard
jq -sc 'reduce .[1:][] as $s (.[0]; reduce ($s | paths(numbers)) as $p (.; setpath($p; getpath($p) + ($s | getpath($p)))))' \
    $(shard_files shards/stats-segment-%.json) >stats-segment.json.tmp
mv stats-segment.json.tmp stats-segment.json

# 9. Recommendations, here; split by person for the preview mailing.
cd "$here"
CDP_NIGHTLY_STEPS=recommend "$script_dir/nightly.sh" "$in_dir" "$out_dir"
cd "$out_dir"
cdp-shard -q -n "$shards" --by cdp_id -o 'shards/recommendations-%d.ndjson.zst' recommendations.ndjson.zst

# 10. The campaign files, as nightly.sh writes them, over the person shards.
echo "== export"
audiences="preview-mailchimp.csv carts-sms.txt birthday-unisender.csv lapsed-meta.csv"
# audience NAME: the options of nightly.sh's file NAME (but its output).
audience() {
    case $1 in
    preview-mailchimp.csv) echo "--format mailchimp --segment preview" ;;
    carts-sms.txt) echo "--format sms --segment abandoned_cart" ;;
    birthday-unisender.csv) echo "--format unisender --segment birthday" ;;
    lapsed-meta.csv) echo "--format meta --segment lapsed" ;;
    esac
}
cp "$in_abs/unsubscribed.txt" shards/unsubscribed.txt
lists="--suppress shards/unsubscribed.txt --forgotten forgotten.list"
# Each job's files in one folder, moved as one (a file moved is an rsync).
rm -rf shards/summary-* shards/contacts shards/export-*
# Step 1, each shard: one job writes the summaries of every file.
summarize="mkdir -p shards/summary-{} &&"
for name in $audiences; do
    summarize="$summarize cdp-export -q --summarize $(audience "$name") $lists \
        -o shards/summary-{}/$name shards/segments-{}.ndjson.zst &&"
done
# shellcheck disable=SC2046,SC2086 # options or none
if ! on_hosts $forget_files $(move transferfile shards/unsubscribed.txt) \
    $(move transferfile 'shards/segments-{}.ndjson.zst') $(move return 'shards/summary-{}') \
    "$summarize true" 2>export.log; then
    cat export.log >&2
    die "cdp-export --summarize failed"
fi
# Step 2, here: the decisions across persons, one file each.
mkdir -p shards/contacts
for name in $audiences; do
    # shellcheck disable=SC2046 # one file a shard
    cdp-export -q --join-summaries -o "shards/contacts/$name" $(shard_files "shards/summary-%/$name")
done
# Step 3, each shard: its rows of every file, and their logs.
write="mkdir -p shards/export-{} &&"
for name in $audiences; do
    recs=
    [ "$name" = preview-mailchimp.csv ] &&
        recs="--recommendations shards/recommendations-{}.ndjson.zst --rec-columns 3"
    write="$write cdp-export --contacts shards/contacts/$name $(audience "$name") $lists $recs \
        -o shards/export-{}/$name shards/segments-{}.ndjson.zst 2>shards/export-{}/$name.log &&"
done
# shellcheck disable=SC2046,SC2086 # options or none
if ! on_hosts $forget_files $(move transferfile shards/unsubscribed.txt) $(move transferfile shards/contacts) \
    $(move transferfile 'shards/segments-{}.ndjson.zst') \
    $(move transferfile 'shards/recommendations-{}.ndjson.zst') $(move return 'shards/export-{}') \
    "$write true" 2>export.log; then
    cat export.log >&2
    die "cdp-export failed"
fi
# Gathered: the header row once (the SMS file has none), then every shard's
# rows; each file's log the shards' logs.
mkdir -p export
for name in $audiences; do
    head=1
    [ "$name" = carts-sms.txt ] && head=0
    {
        [ "$head" = 0 ] || head -n 1 "shards/export-0/$name"
        for i in $numbers; do
            tail -n "+$((head + 1))" "shards/export-$i/$name"
        done | LC_ALL=C sort
    } >"export/$name.tmp"
    mv "export/$name.tmp" "export/$name"
    # shellcheck disable=SC2046 # one file a shard
    cat $(shard_files "shards/export-%/$name.log") >"export-$name.log"
done
rm -f export.log

# 11. The rest, on this host.
cd "$here"
CDP_NIGHTLY_STEPS=finish "$script_dir/nightly.sh" "$in_dir" "$out_dir"
