#!/bin/bash
# Step "add" (and any step without tests of its own): items are added and listed.
source /tests/helpers.sh
todo add "buy milk" >/dev/null
todo add "call the plumber" >/dev/null
check "$(cat todo.txt 2>/dev/null)" "$(printf '[ ] buy milk\n[ ] call the plumber')"
check "$(todo list)" "$(printf '1. [ ] buy milk\n2. [ ] call the plumber')"
reward > /logs/verifier/reward.txt
