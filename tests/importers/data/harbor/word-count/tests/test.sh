#!/bin/bash
# The fraction of checks count.py passes, as Harbor reads it.
cd /app || exit 1
python3 /tests/check_count.py "/app/$WORDS_FILE" > /logs/verifier/reward.txt
