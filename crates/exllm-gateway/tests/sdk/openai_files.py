"""The official `openai` Python SDK against the gateway's file store and batch routes (argv:
base URL, master key). tests/files.rs runs this and requires exit 0 and a final `ok`.
"""
import json
import sys

import openai

base, key = sys.argv[1], sys.argv[2]
client = openai.OpenAI(base_url=base + "/v1", api_key=key, max_retries=0)

lines = [
    {"custom_id": f"r{i}", "method": "POST", "url": "/v1/chat/completions",
     "body": {"model": "fast", "messages": [{"role": "user", "content": f"hi {i}"}]}}
    for i in range(3)
]
data = "\n".join(json.dumps(l) for l in lines).encode()
f = client.files.create(file=("in.jsonl", data, "application/jsonl"), purpose="batch")
assert f.id.startswith("file-") and f.purpose == "batch" and f.filename == "in.jsonl", f

got = client.files.retrieve(f.id)
assert got.id == f.id and got.bytes == f.bytes, got
listed = client.files.list()
assert [x.id for x in listed.data] == [f.id], listed

# The stored content is the caller's file with each model rewritten to the deployment's.
stored = [json.loads(l) for l in client.files.content(f.id).read().splitlines()]
assert [l["custom_id"] for l in stored] == ["r0", "r1", "r2"], stored
assert all(l["body"]["model"] == "gpt-up" for l in stored), stored

b = client.batches.create(input_file_id=f.id, endpoint="/v1/chat/completions", completion_window="24h")
assert b.status == "validating" and b.input_file_id == f.id, b
assert client.batches.retrieve(b.id).id == b.id
c = client.batches.cancel(b.id)
assert c.status == "cancelling", c
assert [x.id for x in client.batches.list(limit=5).data] == [b.id]

# A batch file naming a model the gateway does not serve is refused before any upload.
bad = json.dumps({"custom_id": "x", "body": {"model": "gpt-4o", "messages": []}}).encode()
try:
    client.files.create(file=("bad.jsonl", bad), purpose="batch")
    raise AssertionError("no BadRequestError")
except openai.BadRequestError as e:
    assert "gpt-4o" in str(e), e

try:
    client.files.retrieve("file-missing")
    raise AssertionError("no NotFoundError")
except openai.NotFoundError:
    pass

assert client.files.delete(f.id).deleted is True
print("ok")
