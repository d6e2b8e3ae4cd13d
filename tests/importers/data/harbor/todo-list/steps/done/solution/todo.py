import sys
from pathlib import Path

FILE = Path("todo.txt")
command, *rest = sys.argv[1:]
items = FILE.read_text().splitlines() if FILE.exists() else []
if command == "add":
    items.append(f"[ ] {' '.join(rest)}")
elif command == "done":
    number = int(rest[0])
    items[number - 1] = "[x]" + items[number - 1][3:]
elif command == "list":
    for number, item in enumerate(items, start=1):
        print(f"{number}. {item}")
FILE.write_text("".join(f"{item}\n" for item in items))
