# Every ordered pair of known units: a pair of one dimension converts there and back
# exactly, a pair of two dimensions raises UnitError. Prints the fraction that behave.
import os
import sys
from fractions import Fraction

sys.path.insert(0, os.getcwd())
from stockroom.units import UNITS, UnitError, convert

good = total = 0
for source, (source_dimension, _) in UNITS.items():
    for target, (target_dimension, _) in UNITS.items():
        total += 1
        try:
            there = convert(Fraction(7, 3), source, target)
            good += source_dimension == target_dimension and convert(
                there, target, source
            ) == Fraction(7, 3)
        except UnitError:
            good += source_dimension != target_dimension
print(good / total)
