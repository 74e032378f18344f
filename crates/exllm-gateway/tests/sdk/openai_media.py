"""The official `openai` Python SDK against the gateway's routes beyond chat (argv: base URL,
master key): images, transcription, translation, speech, moderation, rerank, and their errors.

Every check raises on failure; tests/media.rs runs this script and requires exit status 0
and the final `ok` line.
"""
import sys

import openai

base, key = sys.argv[1], sys.argv[2]
client = openai.OpenAI(base_url=base + "/v1", api_key=key, max_retries=0)

img = client.images.generate(model="img", prompt="a cat", response_format="b64_json", n=1)
assert img.data[0].b64_json == "aGk=", img
assert img.data[0].revised_prompt == "a cat, drawn", img

audio = ("talk.wav", b"RIFF0000WAVEfmt ", "audio/wav")
t = client.audio.transcriptions.create(model="stt", file=audio, language="en")
assert t.text == "hello there", t
v = client.audio.transcriptions.create(model="stt", file=audio, response_format="verbose_json")
assert v.text == "hello there" and v.language == "english" and v.duration == 1.5, v
assert v.segments[0].text == "hello there", v
srt = client.audio.transcriptions.create(model="stt", file=audio, response_format="srt")
assert "00:00:00,000 --> 00:00:01,500" in srt, srt
tr = client.audio.translations.create(model="stt", file=audio)
assert tr.text == "translated", tr

speech = client.audio.speech.create(model="tts", voice="alloy", input="hi", response_format="mp3")
assert speech.read() == b"ID3-audio-bytes" * 100, "speech bytes"

m = client.moderations.create(model="mod", input=["kill it", "fine"])
assert m.model == "mod" and m.results[0].flagged, m
assert m.results[0].categories.violence is True, m
assert abs(m.results[0].category_scores.violence - 0.9) < 1e-9, m

r = client.post(
    "/rerank",
    body={"model": "rr", "query": "q", "documents": ["a", {"text": "b"}], "return_documents": True},
    cast_to=object,
)
assert [x["index"] for x in r["results"]] == [1, 0], r
assert r["results"][0]["document"] == {"text": "b"}, r

try:
    client.images.generate(model="not-configured", prompt="x")
    raise AssertionError("no NotFoundError")
except openai.NotFoundError as e:
    assert e.body["code"] == "model_not_found", e.body
try:
    client.moderations.create(model="mod-limited", input="x")
    raise AssertionError("no RateLimitError")
except openai.RateLimitError as e:
    assert e.response.headers["retry-after"] == "7", e.response.headers
try:
    client.audio.speech.create(model="tts", voice="alloy", input="hi", response_format="ogg-x")
    raise AssertionError("no BadRequestError")
except openai.BadRequestError:
    pass
try:
    openai.OpenAI(base_url=base + "/v1", api_key="wrong", max_retries=0).moderations.create(
        model="mod", input="x"
    )
    raise AssertionError("no AuthenticationError")
except openai.AuthenticationError:
    pass
print("ok")
