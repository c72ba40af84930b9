"""bandit over portal/: no finding except the ones marked `# nosec BXXX  # reason`."""
from __future__ import annotations

import re
import subprocess  # nosec B404  # the test runs bandit itself
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BANDIT = Path(sys.executable).parent / "bandit"
# `# nosec B311  # why`: bandit reads the ids up to the second `#`; the reason follows it.
EXPLAINED = re.compile(r"#\s*nosec\s+B\d{3}(?:\s*,\s*B\d{3})*\s+#\s*\S.{8,}")


def test_bandit_finds_nothing_unexplained():
    result = subprocess.run([str(BANDIT), "-r", "portal", "-q", "-f", "custom",  # nosec B603  # fixed arguments
                             "--msg-template", "{relpath}:{line} {test_id} [{severity}] {msg}"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"bandit findings:\n{result.stdout}\n{result.stderr}"


def test_every_nosec_names_its_test_and_says_why():
    bare = []
    for path in sorted((ROOT / "portal").rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "nosec" in line and not EXPLAINED.search(line):
                bare.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not bare, "write `# nosec BXXX  # reason`:\n" + "\n".join(bare)
