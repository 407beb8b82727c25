#!/bin/sh
# bench/admission.sh [COUNT] -- the admission benchmark of issue 3 (run by `make bench`).
#
# Generates COUNT (default 1,000,000) loans for the 2024 national tech guarantee plan,
# then measures on a private local cluster of its own (fsync on, as a user runs it):
#   batch check    (no database, --policy): time, loans/s, peak memory
#   batch submit   into a fresh database (a new cluster each time): time, loans/s, peak
#   COPY floor     PostgreSQL's own COPY of the same CSV into a plain table with the
#                  same columns (text), the cost of merely storing the input
# and prints the ratio submit / COPY.  Each is run RUNS times (default 3) and every
# time is printed; the summary takes the best of each (this VM's speed varies by a
# third from one minute to the next) and the highest peak memory.
#
# Then, beside the floor and in the same minutes, what storing each ledger table's rows
# costs on its own: the rows the last submit recorded, copied out and COPYed back into
# a table LIKE the ledger's (same columns, checks, key; no trigger), in a transaction
# that is rolled back.  It prints each as a multiple of the floor: where the ratio goes.
# The same rows go, the same way, into two smaller layouts (bench/layouts.sql).
set -eu
cd "$(dirname "$0")/.."
count=${1:-1000000}
runs=${RUNS:-3}
rs=$PWD/bin/riskshare
policy=policies/national-tech-guarantee-2024.yaml
tmp=$(mktemp -d "${TMPDIR:-/tmp}/riskshare-bench.XXXXXX")
export RISKSHARE_HOME="$tmp/home"
cleanup() {
    "$rs" db stop >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# Seconds with milliseconds, and peak memory, of one command: "SECONDS KIB".
measure() {
    /usr/bin/time -f "%e %M" -o "$tmp/time" "$@" >"$tmp/out" 2>"$tmp/err" ||
        { cat "$tmp/err" >&2; exit 1; }
    cat "$tmp/time"
}
rate() { awk -v n="$count" -v s="$1" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
# The smaller of two times; the larger of two memory figures.
least() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }'; }
most() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b + 0 > a + 0) ? b : a }'; }

echo "admission benchmark: $count loans ($(nproc) CPUs)"
"$rs" gen loans --count "$count" --seed 42 --policy "$policy" >"$tmp/loans.csv"
echo "  input: $(wc -c <"$tmp/loans.csv") bytes"

check='' check_kib=''
for r in $(seq "$runs"); do
    set -- $(measure "$rs" batch check --quiet --program national-tech-guarantee \
        --agency henan-guarantee --policy "$policy" "$tmp/loans.csv")
    echo "  batch check ($r/$runs):  $1 s  $(rate "$1") loans/s  peak $(($2 / 1024)) MiB"
    check=$(least "$check" "$1") check_kib=$(most "$check_kib" "$2")
done

submit='' submit_kib=''
for r in $(seq "$runs"); do
    "$rs" db stop >/dev/null 2>&1 || true
    rm -rf "$RISKSHARE_HOME"
    "$rs" db start >/dev/null 2>&1
    "$rs" policy load --quiet "$policy"
    set -- $(measure "$rs" batch submit --quiet --program national-tech-guarantee \
        --agency henan-guarantee "$tmp/loans.csv")
    echo "  batch submit ($r/$runs): $1 s  $(rate "$1") loans/s  peak $(($2 / 1024)) MiB"
    submit=$(least "$submit" "$1") submit_kib=$(most "$submit_kib" "$2")
done
url=$("$rs" db url)
echo "  recorded: $(psql "$url" -Atc "SELECT count(*) || ' loans, ' || (SELECT count(*) FROM entries) \
|| ' entries, ' || (SELECT count(*) FROM postings) || ' postings, ' || (SELECT count(*) FROM claims) \
|| ' claims' FROM loans")"

# Seconds, with hundredths, that psql takes to run its arguments (the bench stops if
# one fails).
timed() {
    start=$(date +%s.%N)
    psql "$url" -qv ON_ERROR_STOP=1 "$@" >/dev/null || exit 1
    end=$(date +%s.%N)
    awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }'
}

# The ledger's rows as COPY text; postings without `account`, which is generated.
legs='program, seq, leg, party, kind, side, amount'
psql "$url" -qc "\\copy loans TO '$tmp/loans.tsv'" -c "\\copy entries TO '$tmp/entries.tsv'" \
    -c "\\copy (SELECT $legs FROM postings) TO '$tmp/postings.tsv'"
psql "$url" -qc "CREATE TABLE like_loans (LIKE loans INCLUDING ALL)" \
    -c "CREATE TABLE like_entries (LIKE entries INCLUDING ALL)" \
    -c "CREATE TABLE like_postings (LIKE postings INCLUDING ALL)"
# The same rows in two smaller layouts (bench/layouts.sql): each entry with its legs as
# arrays; each loan with its guarantee-fee entry.
ecols='e.program, e.seq, e.kind, e.policy_version, e.rule_ids, e.loan_id, e.event_id, e.batch_id,
       e.settlement_id, e.reverses_seq, e.business_date, e.recorded_at, e.prev_hash, e.hash'
psql "$url" -qv ON_ERROR_STOP=1 -f bench/layouts.sql \
    -c "\\copy (SELECT $ecols, array_agg(p.party ORDER BY p.leg), array_agg(p.kind ORDER BY p.leg), array_agg(CASE p.side WHEN 'debit' THEN p.amount ELSE -p.amount END ORDER BY p.leg) FROM entries e JOIN postings p USING (program, seq) GROUP BY e.program, e.seq ORDER BY e.seq) TO '$tmp/entry_legs.tsv'" \
    -c "\\copy (SELECT l.*, e.seq, e.prev_hash, e.hash FROM loans l JOIN entries e ON e.program = l.program AND e.loan_id = l.loan_id AND e.kind = 'guarantee_fee' ORDER BY e.seq) TO '$tmp/loan_fee.tsv'"

cols=$(head -1 "$tmp/loans.csv" | tr -d '\r' | sed 's/,/ text, /g; s/$/ text/')
copy='' loans='' entries='' postings='' entry_legs='' loan_fee=''
for r in $(seq "$runs"); do
    psql "$url" -qc "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS copy_floor" -c "CREATE TABLE copy_floor ($cols)"
    t=$(timed -c "\\copy copy_floor FROM '$tmp/loans.csv' WITH (FORMAT csv, HEADER true)")
    echo "  COPY floor ($r/$runs):   $t s  $(rate "$t") rows/s"
    copy=$(least "$copy" "$t")
    t=$(timed -c "BEGIN" -c "\\copy like_loans FROM '$tmp/loans.tsv'" -c "ROLLBACK")
    loans=$(least "$loans" "$t")
    t2=$(timed -c "BEGIN" -c "\\copy like_entries FROM '$tmp/entries.tsv'" -c "ROLLBACK")
    entries=$(least "$entries" "$t2")
    t3=$(timed -c "BEGIN" -c "\\copy like_postings ($legs) FROM '$tmp/postings.tsv'" -c "ROLLBACK")
    postings=$(least "$postings" "$t3")
    echo "  rows alone ($r/$runs):   loans $t s, entries $t2 s, postings $t3 s"
    t=$(timed -c "BEGIN" -c "\\copy layout_entry_legs FROM '$tmp/entry_legs.tsv'" -c "ROLLBACK")
    entry_legs=$(least "$entry_legs" "$t")
    t2=$(timed -c "BEGIN" -c "\\copy layout_loan_fee FROM '$tmp/loan_fee.tsv'" -c "ROLLBACK")
    loan_fee=$(least "$loan_fee" "$t2")
    echo "  layouts ($r/$runs):      entries with legs $t s, loans with fee entry $t2 s"
done
echo "  best of $runs:"
echo "    batch check:  $check s  $(rate "$check") loans/s  peak $((check_kib / 1024)) MiB (target >= 200000 loans/s, <= 512 MiB)"
echo "    batch submit: $submit s  $(rate "$submit") loans/s  peak $((submit_kib / 1024)) MiB (target <= 30 s, <= 512 MiB)"
echo "    COPY floor:   $copy s  $(rate "$copy") rows/s"
awk -v s="$submit" -v c="$copy" 'BEGIN { printf "    submit / COPY = %.1f (target <= 6)\n", s / c }'
awk -v c="$copy" -v l="$loans" -v e="$entries" -v p="$postings" 'BEGIN {
    printf "    rows alone:   loans %s s = %.1f x COPY, entries %s s = %.1f x, postings %s s = %.1f x\n",
           l, l / c, e, e / c, p, p / c
    printf "                  together %.2f s = %.1f x COPY\n", l + e + p, (l + e + p) / c }'
awk -v s="$submit" -v l="$loans" -v e="$entries" -v p="$postings" 'BEGIN {
    printf "    submit / rows alone = %.1f\n", s / (l + e + p) }'
awk -v c="$copy" -v l="$loans" -v a="$entry_legs" -v f="$loan_fee" 'BEGIN {
    printf "    layouts:      loans + entries with legs %.2f s = %.1f x COPY; loans with fee entry %s s = %.1f x\n",
           l + a, (l + a) / c, f, f / c }'
