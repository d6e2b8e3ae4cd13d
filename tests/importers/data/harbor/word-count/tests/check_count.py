"""Runs /app/count.py on a file both ways; prints the fraction of checks passed."""

import subprocess
import sys
from pathlib import Path

path = Path(sys.argv[1])
text = path.read_text()
checks = [([str(path)], len(text.split())), (["--lines", str(path)], len(text.splitlines()))]
passed = 0
for args, expected in checks:
    run = subprocess.run(
        [sys.executable, "/app/count.py", *args], capture_output=True, text=True, check=False
    )
    ok = run.returncode == 0 and run.stdout.strip() == str(expected)
    print(
        f"{'ok' if ok else 'not ok'}: count.py {' '.join(args)} (want {expected})", file=sys.stderr
    )
    passed += ok
print(passed / len(checks))
