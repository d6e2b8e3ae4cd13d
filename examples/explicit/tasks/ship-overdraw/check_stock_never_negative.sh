# Ships too much in three situations; each that raises and leaves the stock as it was
# scores a third.
passed=0
check() {
  python -B - "$1" <<'PY' && passed=$((passed + 1))
import sys
sys.path.insert(0, ".")
from stockroom import Inventory, Money

stock = Inventory()
stock.add_item("AB-1", "Widget", Money(100))
stock.receive("AB-1", 5)
stock.receive("AB-1", 5, "back")
before = stock.lots("AB-1")
try:
    exec(sys.argv[1])
except Exception:
    pass
sys.exit(0 if stock.lots("AB-1") == before else 1)
PY
}
check 'stock.ship("AB-1", 11)'
check 'stock.ship("AB-1", 1000)'
check 'stock.transfer("AB-1", 6, "back", "main")'
echo "score=$(awk "BEGIN { print $passed / 3 }")"
