#!/usr/bin/env python3
"""Validates real oomlab-analyze output against analyzer/schema/verdict.schema.json.

Runs the binary on every seed and every fixture (pretty, --jsonl, and one
multi-file array), checks each document with jsonschema's Draft 2020-12
validator, and checks that the schema itself rejects broken documents (so
the test cannot pass with a schema that accepts anything).
Exit 77 (CTest SKIP_RETURN_CODE) when python3-jsonschema is not installed.
"""
import copy
import glob
import json
import os
import subprocess
import sys

try:
    import jsonschema
except ImportError:
    print("SKIP: python3-jsonschema is not installed (apt-get install python3-jsonschema)")
    sys.exit(77)

binary, source_dir, seeds_dir = sys.argv[1], sys.argv[2], sys.argv[3]
with open(os.path.join(source_dir, "analyzer/schema/verdict.schema.json")) as f:
    schema = json.load(f)
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)

inputs = sorted(glob.glob(os.path.join(seeds_dir, "*.txt"))) + \
    sorted(glob.glob(os.path.join(source_dir, "tests/analyzer/fixtures/*")))
if len(inputs) < 5:
    sys.exit(f"too few inputs found: {inputs}")

documents = []
verdicts = set()
for path in inputs:
    out = subprocess.run([binary, path], capture_output=True, check=False)
    if out.returncode not in (0, 1):
        sys.exit(f"{path}: exit {out.returncode}: {out.stderr.decode(errors='replace')}")
    doc = json.loads(out.stdout)
    documents.append((path, doc))
    verdicts.add(doc["verdict"])
    jl = subprocess.run([binary, "--jsonl", path], capture_output=True, check=False)
    lines = jl.stdout.decode().splitlines()
    if len(lines) != 1 or json.loads(lines[0]) != doc:
        sys.exit(f"{path}: --jsonl output differs from the pretty document")

multi = subprocess.run([binary] + inputs[:3], capture_output=True, check=False)
array = json.loads(multi.stdout)
if not isinstance(array, list) or len(array) != 3:
    sys.exit("several files must give a JSON array of documents")
documents += [("array[%d]" % i, d) for i, d in enumerate(array)]

errors = 0
for path, doc in documents:
    for e in validator.iter_errors(doc):
        errors += 1
        print(f"{path}: {'/'.join(map(str, e.absolute_path))}: {e.message}")
if errors:
    sys.exit(f"{errors} schema violation(s)")

# The schema must reject what the contract forbids.
path, sample = next((p, d) for p, d in documents if d["findings"] and d["oom_events"])
broken = []
b = copy.deepcopy(sample); b["schema"] = "oomlab.verdict/2"; broken.append(("wrong schema id", b))
b = copy.deepcopy(sample); b["verdict"] = "meltdown"; broken.append(("unknown class", b))
b = copy.deepcopy(sample); del b["findings"][0]["title"]; broken.append(("finding without title", b))
b = copy.deepcopy(sample); b["oom_events"][-1]["victim"] = {"pid": "3418"}; broken.append(("bad victim", b))
b = copy.deepcopy(sample); b["extra"] = 1; broken.append(("unknown field", b))
# The watchdog's delay accounting (a fixture carries it): only the five known delays.
path, delayed = next(((p, d) for p, d in documents
                      if any("delays_ms" in t for t in d["memalloc"]["tasks"])), (None, None))
if delayed is None:
    sys.exit("no input gives a memalloc task with delays_ms")
b = copy.deepcopy(delayed)
next(t for t in b["memalloc"]["tasks"] if "delays_ms" in t)["delays_ms"]["steal"] = 5
broken.append(("unknown delay", b))
for what, doc in broken:
    if validator.is_valid(doc):
        sys.exit(f"schema accepts a document with {what}")

print(f"validated {len(documents)} documents from {len(inputs)} inputs; verdicts seen: {sorted(verdicts)}")
