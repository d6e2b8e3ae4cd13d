#!/bin/bash
cat > /app/count.py <<'PY'
import sys

args = sys.argv[1:]
lines = args[:1] == ["--lines"]
text = open(args[-1]).read()
print(len(text.splitlines()) if lines else len(text.split()))
PY
