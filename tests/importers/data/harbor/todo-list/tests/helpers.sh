# Shared by every step: count checks, then write the fraction passed.
ok=0
total=0
check() {
    total=$((total + 1))
    if [ "$1" = "$2" ]; then ok=$((ok + 1)); else echo "not ok: got [$1], want [$2]"; fi
}
reward() { python3 -c "print($ok / $total)"; }
# Scorers cannot write in the task's directory: run the command in a scratch copy.
scratch=$(mktemp -d)
cp /workspace/todo/todo.py "$scratch"/ 2>/dev/null
cd "$scratch" || exit 1
todo() { python3 todo.py "$@" 2>&1; }
