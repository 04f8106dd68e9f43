"""Count in how many texts each character (or Latin trigram) occurs, for near-duplicate scoring.

    ./manage.py char_weights posts.jsonl [reposts.jsonl.gz …] [--output FILE]

Reads JSON lines with a `text` field (gzip if the name ends in .gz), normalises each text and
writes the table `fingerprints.similarity` weighs characters by (rumorcases/cases/data/
char_weights.tsv by default). The shipped table was made from the 101,576 Weibo posts and reposts
in shared/data/weibo-ced; an office may rebuild it from its own reports, and should then rewrite
the stored fingerprints, whose rare-unit keys depend on it (docs/matching.md, "Tuning").
"""

import gzip
import json
from collections import Counter
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from rumorcases.cases import fingerprints
from rumorcases.cases.normalise import normalise


def _texts(path: Path):
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                text = json.loads(line)["text"]
            except (ValueError, KeyError, TypeError) as exc:
                raise CommandError(f"{path}:{number}: not a JSON object with a text field") from exc
            if not isinstance(text, str):
                raise CommandError(f"{path}:{number}: text is not a string")
            yield text


class Command(BaseCommand):
    help = "Count per character how many texts contain it, and write the weight table near-duplicate scoring uses."

    def add_arguments(self, parser):
        parser.add_argument("corpus", nargs="+", help="JSON-lines files with a text field (.gz allowed).")
        parser.add_argument("--output", default=str(fingerprints.CHAR_WEIGHTS_PATH),
                            help="Where to write the table (default: the one the matcher reads).")

    def handle(self, *args, corpus, output, **options):
        counts: Counter = Counter()
        texts = 0
        for name in corpus:
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"no such file: {name}")
            for text in _texts(path):
                texts += 1
                counts.update(fingerprints.units(normalise(text)))
        if not texts:
            raise CommandError("the corpus holds no texts")
        # Written whole to a temporary file first: a failed run leaves the old table in place.
        target = Path(output)
        partial = target.with_suffix(".partial")
        with open(partial, "w", encoding="utf-8") as table:
            table.write(f"#texts\t{texts}\n")
            for unit, count in sorted(counts.items()):
                table.write(f"{unit}\t{count}\n")
        partial.replace(target)
        self.stdout.write(f"{texts} texts, {len(counts)} characters and trigrams → {target}")
