"""Labelled evaluation sets for exllm's guardrails, generated with Faker (seeded).

PII: e-mail addresses, international phone numbers, payment cards, IBANs, US SSNs, IPv4 and
IPv6 addresses in sentences of several locales, and hard negatives that look like them
(UUIDs, order numbers, version strings, timestamps, hex hashes, MAC addresses, code paths,
Luhn-failing digit runs). Secrets: keys in the documented formats of the providers exllm
speaks to and of common services, in prose, shell and JSON contexts, and random negatives
(hashes, UUIDs, identifiers, slugs, base64 of text, placeholders).

Each sample is {"id", "text", "gold": [{"type", "start", "end"}]} with character offsets.
"""

import base64
import hashlib
import random
import string

from faker import Faker

LOCALES = ["en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pt_BR"]
# Country calling code and national significant number lengths (ITU E.164 plans).
PHONE_PLANS = {
    "en_US": ("1", 10), "en_GB": ("44", 10), "de_DE": ("49", 11), "fr_FR": ("33", 9),
    "es_ES": ("34", 9), "it_IT": ("39", 10), "nl_NL": ("31", 9), "pt_BR": ("55", 11),
}
TEMPLATES = [
    "Please reach me at {v} tomorrow.",
    "{s} My details: {v}.",
    "Kontakt / contact: {v} — {s}",
    "{s} ({v}) {s}",
    "The customer wrote: \"{v}\" and asked for a refund.",
    "value={v}; updated",
    "- {v}\n- {s}",
]


def _phone(fake, loc, rnd):
    cc, n = PHONE_PLANS[loc]
    first = "2345678"[rnd.randrange(7)] if cc == "1" else str(rnd.randrange(1, 10))
    nat = first + "".join(rnd.choice(string.digits) for _ in range(n - 1))
    if cc == "1":  # NANP: the exchange starts with 2-9 too
        nat = nat[:3] + str(rnd.randrange(2, 10)) + nat[4:]
    style = rnd.randrange(4)
    if style == 0:
        return f"+{cc}{nat}"
    if style == 1:
        return f"+{cc} {nat[:3]} {nat[3:6]} {nat[6:]}"
    if style == 2:
        return f"00{cc} {nat[:2]} {nat[2:6]} {nat[6:]}"
    return f"+{cc}-{nat[:3]}-{nat[3:6]}-{nat[6:]}"


def _group4(s, rnd, sep=" "):
    if rnd.random() < 0.5:
        return s
    return sep.join(s[i:i + 4] for i in range(0, len(s), 4))


def _pii_value(kind, fake, loc, rnd):
    if kind == "email":
        return fake.email()
    if kind == "phone":
        return _phone(fake, loc, rnd)
    if kind == "card":
        return _group4(fake.credit_card_number(), rnd, rnd.choice([" ", "-"]))
    if kind == "iban":
        return _group4(fake.iban(), rnd)
    if kind == "ssn":
        return Faker("en_US").ssn()
    if kind == "ipv4":
        return fake.ipv4()
    if kind == "ipv6":
        return fake.ipv6()
    if kind == "phone_national":  # the locale's own format, no country code
        for _ in range(50):
            v = fake.phone_number()
            if not v.startswith(("+", "00")):
                return v
        cc, n = PHONE_PLANS[loc]  # a locale whose formats all carry the country code
        return "0" + "".join(rnd.choice(string.digits) for _ in range(n))
    raise ValueError(kind)


def _hard_negative(fake, rnd):
    k = rnd.randrange(14)
    if k == 0:
        return fake.uuid4()
    if k == 1:
        return f"Order #{rnd.randrange(10**7, 10**12)}"
    if k == 2:
        return f"ORD-{rnd.randrange(2019, 2026)}-{rnd.randrange(10**5, 10**6)}"
    if k == 3:
        return f"v{rnd.randrange(0, 20)}.{rnd.randrange(0, 40)}.{rnd.randrange(0, 200)}"
    if k == 4:  # four-part build versions look like IPv4 addresses with bad octets or not
        return f"10.0.{rnd.randrange(10000, 30000)}.{rnd.randrange(1000, 5000)}"
    if k == 5:
        return fake.iso8601()
    if k == 6:
        return str(rnd.randrange(10**12, 2 * 10**12))  # epoch milliseconds
    if k == 7:
        return hashlib.sha256(fake.word().encode()).hexdigest()
    if k == 8:
        return hashlib.md5(fake.word().encode()).hexdigest()
    if k == 9:
        return fake.mac_address()
    if k == 10:
        return rnd.choice(["std::collections::HashMap", "a::b::c", "Foo::bar::baz()"])
    if k == 11:  # 16 digits failing Luhn
        while True:
            d = "4" + "".join(rnd.choice(string.digits) for _ in range(15))
            if not _luhn(d):
                return d
    if k == 12:
        return fake.time() + " " + fake.date()
    return f"+{rnd.randrange(1, 9)}.{rnd.randrange(10, 99)} %"  # a signed figure


def _luhn(d):
    total = 0
    for i, c in enumerate(reversed(d)):
        v = int(c) * (2 if i % 2 else 1)
        total += v - 9 if v > 9 else v
    return total % 10 == 0


def pii_set(n_per_kind=120, n_negative=600, seed=21):
    rnd = random.Random(seed)
    Faker.seed(seed)
    fakers = {loc: Faker(loc) for loc in LOCALES}
    out = []
    kinds = ["email", "phone", "card", "iban", "ssn", "ipv4", "ipv6", "phone_national"]
    for kind in kinds:
        for _ in range(n_per_kind):
            loc = rnd.choice(LOCALES)
            fake = fakers[loc]
            v = _pii_value(kind, fake, loc, rnd)
            tpl = rnd.choice(TEMPLATES)
            s = fake.sentence()
            pre, post = tpl.split("{v}")
            pre = pre.replace("{s}", s)
            post = post.replace("{s}", fake.sentence())
            # A hard negative in the same text, half the time.
            if rnd.random() < 0.5:
                post += " Ref " + _hard_negative(fake, rnd) + "."
            text = pre + v + post
            out.append({"text": text, "gold": [{"type": kind, "start": len(pre), "end": len(pre) + len(v)}]})
    for _ in range(n_negative):
        fake = fakers[rnd.choice(LOCALES)]
        neg = _hard_negative(fake, rnd)
        out.append({"text": f"{fake.sentence()} {neg} {fake.sentence()}", "gold": []})
    rnd.shuffle(out)
    for i, s in enumerate(out):
        s["id"] = i
    return out


ALNUM = string.ascii_letters + string.digits


def _r(rnd, n, alphabet=ALNUM):
    return "".join(rnd.choice(alphabet) for _ in range(n))


def _jwt(rnd):
    enc = lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")
    head = enc(b'{"alg":"HS256","typ":"JWT"}')
    body = enc(('{"sub":"%d","name":"%s"}' % (rnd.randrange(10**6), _r(rnd, 8))).encode())
    return f"{head}.{body}.{_r(rnd, 43, ALNUM + '-_')}"


SECRET_FORMATS = {
    "openai_project": lambda r: "sk-proj-" + _r(r, 48, ALNUM + "-_") + "T3BlbkFJ" + _r(r, 48, ALNUM + "-_"),
    "openai_legacy": lambda r: "sk-" + _r(r, 48),
    "anthropic": lambda r: "sk-ant-api03-" + _r(r, 93, ALNUM + "-_") + "AA",
    "google_api": lambda r: "AIza" + _r(r, 35, ALNUM + "-_"),
    "groq": lambda r: "gsk_" + _r(r, 52),
    "xai": lambda r: "xai-" + _r(r, 80),
    "huggingface": lambda r: "hf_" + _r(r, 34),
    "replicate": lambda r: "r8_" + _r(r, 37),
    "perplexity": lambda r: "pplx-" + _r(r, 48),
    "mistral_unprefixed": lambda r: _r(r, 32),
    "cohere_unprefixed": lambda r: _r(r, 40),
    "aws_access_key": lambda r: "AKIA" + _r(r, 16, string.ascii_uppercase + string.digits),
    "github_pat": lambda r: "ghp_" + _r(r, 36),
    "github_fine_grained": lambda r: "github_pat_" + _r(r, 22) + "_" + _r(r, 59),
    "slack_bot": lambda r: f"xoxb-{r.randrange(10**11, 10**12)}-{r.randrange(10**11, 10**12)}-{_r(r, 24)}",
    "stripe_live": lambda r: "sk_live_" + _r(r, 24),
    "jwt": _jwt,
    "private_key": lambda r: "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(_r(r, 64, ALNUM + "+/") for _ in range(4)) + "\n-----END RSA PRIVATE KEY-----",
}
SECRET_CONTEXTS = [
    "export API_KEY={v}",
    '{{"api_key": "{v}"}}',
    "Authorization: Bearer {v}",
    "here is my key {v} please debug",
    "token = '{v}'",
]


PLACEHOLDERS = ["sk-...", "YOUR_API_KEY_HERE", "<your-openai-key>", "sk-xxxxxxxxxxxxxxxxxxxx"]


def _secret_negative(fake, rnd):
    k = rnd.randrange(12)
    if k == 0:
        return fake.uuid4()
    if k == 1:
        return hashlib.sha1(fake.word().encode()).hexdigest()
    if k == 2:
        return hashlib.sha256(fake.sentence().encode()).hexdigest()
    if k == 3:
        return "".join(w.capitalize() if i else w for i, w in enumerate(fake.words(5)))  # camelCase
    if k == 4:
        return "/".join(fake.words(3)) + "/" + "-".join(fake.words(6)) + "-2024"
    if k == 5:
        return base64.b64encode(fake.sentence().encode()).decode()
    if k == 6:
        return rnd.choice(PLACEHOLDERS)
    if k == 7:
        return "sha256:" + hashlib.sha256(fake.word().encode()).hexdigest()
    if k == 8:
        return fake.file_path(depth=4)
    if k == 9:
        return "_".join(w.upper() for w in fake.words(4))
    if k == 10:
        return fake.url() + "/".join(fake.words(2))
    return f"v{rnd.randrange(9)}.{rnd.randrange(30)}.{rnd.randrange(99)}-rc{rnd.randrange(5)}+build.{rnd.randrange(9999)}"


def secrets_set(n_per_format=40, n_negative=800, seed=17):
    rnd = random.Random(seed)
    Faker.seed(seed)
    fake = Faker("en_US")
    out = []
    for name, make in SECRET_FORMATS.items():
        for _ in range(n_per_format):
            v = make(rnd)
            ctx = rnd.choice(SECRET_CONTEXTS)
            pre, post = ctx.split("{v}")
            pre, post = pre.replace("{{", "{"), post.replace("}}", "}")
            out.append({"text": pre + v + post, "gold": [{"type": name, "start": len(pre), "end": len(pre) + len(v)}]})
    for _ in range(n_negative):
        v = _secret_negative(fake, rnd)
        # Identifiers sit in neutral contexts; a placeholder where a key would go.
        neutral = ["{v}", "see {v} for details", "id: {v}", "commit {v} fixed it", "path {v}"]
        placeholder = v in PLACEHOLDERS
        ctx = rnd.choice(SECRET_CONTEXTS if placeholder else neutral)
        out.append({"text": ctx.replace("{{", "{").replace("}}", "}").replace("{v}", v), "gold": []})
    rnd.shuffle(out)
    for i, s in enumerate(out):
        s["id"] = i
    return out
