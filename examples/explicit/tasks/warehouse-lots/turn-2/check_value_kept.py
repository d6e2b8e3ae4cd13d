# Random stock, written off on random days: the value before is always the value after
# plus what was written off. Prints the fraction of days where it holds.
import os
import random
import sys
from datetime import date, timedelta

sys.path.insert(0, os.getcwd())
from stockroom import Inventory, Money

rng = random.Random(7)
good = 0
days = 20
for _ in range(days):
    stock = Inventory()
    for n in range(5):
        stock.add_item(f"P-{n}", f"product {n}", Money(rng.randint(1, 999)))
        for _ in range(rng.randint(1, 4)):
            expires = date(2027, 1, 1) + timedelta(days=rng.randint(0, 30))
            stock.receive(f"P-{n}", rng.randint(1, 50), "main", rng.choice([expires, None]))
    before = stock.value()
    try:
        written_off = stock.write_off_expired(date(2027, 1, 1) + timedelta(rng.randint(0, 31)))
        good += before == stock.value() + written_off and written_off.cents >= 0
    except Exception:  # a crash is a day where it does not hold
        pass
print(good / days)
