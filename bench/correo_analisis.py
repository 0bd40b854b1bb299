"""How long ``plugins.correo.analisis.analizar`` takes per message of the test corpus.

    .venv/bin/python bench/correo_analisis.py [--runs 7] [--repeat 200]

For each corpus message: the median over ``--runs`` of the mean time of ``--repeat`` calls, in
µs, next to the same for a bare ``email.message_from_bytes(..., policy=default)`` (the stdlib
parse alone, which ``analizar`` does once) — the ratio is what to compare across machines.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

RAIZ = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(RAIZ))

from plugins.correo.analisis import analizar  # noqa: E402

CORPUS = RAIZ / "tests" / "plugins" / "correo" / "corpus"


def _medir(funcion: Callable[[bytes], object], crudo: bytes, runs: int, repeat: int) -> float:
    """Median over ``runs`` of the mean µs of ``repeat`` calls."""
    tiempos = []
    for _ in range(runs):
        inicio = time.perf_counter()
        for _ in range(repeat):
            funcion(crudo)
        tiempos.append((time.perf_counter() - inicio) / repeat * 1e6)
    return statistics.median(tiempos)


def _solo_parseo(crudo: bytes) -> object:
    return email.message_from_bytes(crudo, policy=email.policy.default)


def main() -> None:
    """Print one row per corpus message and the medians."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    filas = []
    for fichero in sorted(CORPUS.glob("*.eml")):
        crudo = fichero.read_bytes()
        analizar(crudo)  # warm the caches (compiled patterns, codec lookups)
        filas.append(
            (
                fichero.name,
                len(crudo),
                _medir(analizar, crudo, args.runs, args.repeat),
                _medir(_solo_parseo, crudo, args.runs, args.repeat),
            )
        )
    print("| message | bytes | analizar µs | stdlib parse µs | ratio |")
    print("|---|---:|---:|---:|---:|")
    for nombre, tam, total, base in filas:
        print(f"| {nombre} | {tam} | {total:.0f} | {base:.0f} | {total / base:.1f} |")
    mediana = statistics.median(f[2] for f in filas)
    base = statistics.median(f[3] for f in filas)
    print(f"\nmedian per message: analizar {mediana:.0f} µs, stdlib parse {base:.0f} µs")


if __name__ == "__main__":
    main()
