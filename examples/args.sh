# shellcheck shell=sh disable=SC2154 # prog and usage are the sourcing script's
# args.sh: the start the example scripts share, sourced by each once it has
# set prog and script_dir (and defined usage(), for usage_error and
# need_value). Not a script of its own.

# die MESSAGE...: the script cannot go on (exit 1).
die() {
    echo "$prog: $*" >&2
    exit 1
}

# usage_error: the command line is wrong (the usage on stderr, exit 2).
usage_error() {
    usage >&2
    exit 2
}

# need_value COUNT: an option that takes a value is the last word, COUNT
# being "$#" where the option is $1.
need_value() {
    [ "$1" -ge 2 ] || usage_error
}

# dirs_only "$@": for a script that takes only [EXAMPLES_DIR [OUT_DIR]] (it
# defines no usage of its own): the usage, and a stop on --help (exit 0), on
# any option or on more than two words.
dirs_only() {
    usage() {
        echo "Usage: $prog [EXAMPLES_DIR [OUT_DIR]]"
    }
    case ${1-} in
    -h | --help)
        usage
        exit 0
        ;;
    -*) usage_error ;;
    esac
    [ $# -le 2 ] || usage_error
}
