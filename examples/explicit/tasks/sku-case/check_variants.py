# Receives stock under random spellings of a few SKUs and counts it back under others:
# prints the fraction of spellings whose stock is counted where it belongs.
import os
import random
import sys

sys.path.insert(0, os.getcwd())
from stockroom import Inventory, Money

rng = random.Random(12)
skus = ["AB-1", "BOLT-M4", "X9"]


def spelling(sku: str) -> str:
    cased = "".join(c.lower() if rng.random() < 0.5 else c for c in sku)
    return " " * rng.randint(0, 2) + cased + " " * rng.randint(0, 2)


stock = Inventory()
for sku in skus:
    stock.add_item(sku, sku, Money(100))
expected = dict.fromkeys(skus, 0)
good = 0
trials = 60
for _ in range(trials):
    sku = rng.choice(skus)
    try:
        stock.receive(spelling(sku), 1)
        expected[sku] += 1
        good += stock.on_hand(spelling(sku)) == expected[sku]
    except Exception:  # a spelling the library refuses counts as a miss
        pass
print(good / trials)
