"""How much of store-postgres repeats store-sqlite: the share of its non-blank, non-comment
source lines that sit in a run of 4+ lines identical in shape (identifiers, strings and
numbers abstracted) to a run somewhere in store-sqlite. The architecture issue's figure;
lower is better (shared rules belong in `crates/store` as functions both backends call).

    python3 scripts/store-duplication.py crates/store-sqlite crates/store-postgres
"""
import re, glob, sys
KW = set("fn let mut pub async await match if else for in return impl struct enum use mod self Self Some None Ok Err move where as const static dyn crate super".split())
def norm(line):
    line = line.strip()
    line = re.sub(r'"(\\.|[^"\\])*"', 'S', line)
    line = re.sub(r"\b\d+\b", 'N', line)
    return re.sub(r"\b[A-Za-z_][A-Za-z0-9_]*\b", lambda m: m.group(0) if m.group(0) in KW else 'I', line)
def lines(root):
    out = []
    for p in sorted(glob.glob(root + '/src/**/*.rs', recursive=True)):
        ls = [norm(l) for l in open(p) if l.strip() and not l.strip().startswith('//')]
        out.append(ls)
    return out
sq, pg = lines(sys.argv[1]), lines(sys.argv[2])
grams = set()
for f in sq:
    for i in range(len(f) - 3):
        grams.add(tuple(f[i:i+4]))
total = covered = 0
for f in pg:
    mark = [False] * len(f)
    for i in range(len(f) - 3):
        if tuple(f[i:i+4]) in grams:
            for j in range(i, i + 4): mark[j] = True
    total += len(f); covered += sum(mark)
print(f"{covered} of {total} non-blank, non-comment lines ({100*covered/total:.0f} %)")
