# `python -m stockroom value` of a file with a bad third line: exit status 2 (half the
# score) and an error naming the file and the line (the other half).
dir=$(mktemp -d)
printf 'sku,name,unit_cost,reorder_point,location,quantity,expires\nAB-1,Widget,1.00,10,main,4,\nAB-2,Gadget,2.00,5,main,lots,\n' > "$dir/stock.csv"
python -B -m stockroom value "$dir/stock.csv" > "$dir/out" 2> "$dir/err"
status=$?
score=0
[ "$status" -eq 2 ] && score=$((score + 1))
grep -q "stock.csv: line 3:" "$dir/err" && score=$((score + 1))
rm -rf "$dir"
echo "score=$(awk "BEGIN { print $score / 2 }")"
