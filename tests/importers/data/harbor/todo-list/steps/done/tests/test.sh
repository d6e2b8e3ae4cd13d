#!/bin/bash
# Step "done": the earlier behaviour, and items marked done. Writes reward.json.
source /tests/helpers.sh
todo add "$FIRST_ITEM" >/dev/null
todo add "call the plumber" >/dev/null
check "$(todo list)" "$(printf '1. [ ] %s\n2. [ ] call the plumber' "$FIRST_ITEM")"
todo done 1 >/dev/null
check "$(todo list)" "$(printf '1. [x] %s\n2. [ ] call the plumber' "$FIRST_ITEM")"
check "$(head -n 1 todo.txt)" "[x] $FIRST_ITEM"
printf '{"reward": %s, "checks": %s}\n' "$(reward)" "$total" > /logs/verifier/reward.json
