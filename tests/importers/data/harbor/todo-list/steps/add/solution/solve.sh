#!/bin/bash
cat > /workspace/todo/todo.py <<'PY'
import sys
from pathlib import Path

FILE = Path("todo.txt")
command, *rest = sys.argv[1:]
items = FILE.read_text().splitlines() if FILE.exists() else []
if command == "add":
    items.append(f"[ ] {' '.join(rest)}")
    FILE.write_text("\n".join(items) + "\n")
elif command == "list":
    for number, item in enumerate(items, start=1):
        print(f"{number}. {item}")
PY
