# `python -m stockroom reorder` on a small file: one point for each expected line and
# one for the exit status.
dir=$(mktemp -d)
printf 'sku,name,unit_cost,reorder_point,location,quantity,expires\nA-1,Alpha,1.00,50,main,40,\nB-2,Beta,1.00,20,main,100,\nC-3,Gamma,1.00,5,main,5,\n' > "$dir/stock.csv"
python -B -m stockroom reorder "$dir/stock.csv" --lead-time 5 --demand B-2=20 > "$dir/out" 2>&1
status=$?
points=0
[ "$status" -eq 0 ] && points=$((points + 1))
grep -qx "B-2: order 20 (on hand 100, projected 0)" "$dir/out" && points=$((points + 1))
grep -qx "A-1: order 10 (on hand 40, projected 40)" "$dir/out" && points=$((points + 1))
[ "$(wc -l < "$dir/out")" -eq 2 ] && points=$((points + 1))
rm -rf "$dir"
echo "score=$(awk "BEGIN { print $points / 4 }")"
