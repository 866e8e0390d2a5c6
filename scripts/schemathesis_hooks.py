"""Schemathesis hooks for irmer's API.

Some rules of the API cannot be stated in JSON Schema; each is documented
in the OpenAPI descriptions and kept by the server's own tests:

- a date after today (dates that cannot be true are refused), or an
  exposure after its discovery; a time of the exposure without its date;
- query dates back to front (discovered_from after discovered_to);
- a period for the statistics and trends that is not one: a financial
  year with from or to, a year outside 1900 to 2998, a date outside 1900
  to 2999, from after to (from alone runs to today), or a trend of more
  than 240 months;
- a number that cannot be held exactly (more than 20 significant digits, or
  a power of ten too small, as 5e-324);
- a health number whose modulus-11 check digit is wrong;
- free text with a digit or an @, which the identifier scanner may read as
  a number, a date or an address (identifiers are refused where typed);
- who is involved, where a number, name or date is not one (a hospital
  number of 4 to 20 letters and digits, a name with a word of two letters);
- a task step's date before the incident's discovery (the generator cannot
  know the incident): a positive step's date becomes yesterday, after
  every discovery the run makes (a future one is repaired to yesterday);
- a task assigned to a user who does not exist: the owner becomes the
  run's one user;
- a merge patch to a field whose rule joins it to what is already recorded
  (occurred, occurred_time, exposure, dose, patient), or to any object (a
  patch merges into the stored object: `{}` for a radiopharmaceutical not
  yet recorded makes one without its required name): the incident it
  makes is checked whole, against facts the generator cannot know.

A request generated to be valid (positive) that breaks one of them is
repaired to keep it (a future date becomes yesterday, a digit in free text
is taken out, a wrong check digit is put right…), rather than left out:
leaving them out made some runs stop with "too many generated examples are
filtered out". A request generated to be invalid (negative) is sent as it
is. Every check runs on every request.
"""

import datetime
import math
import re

import schemathesis
from schemathesis import GenerationMode

TODAY = datetime.datetime.now(datetime.timezone.utc).date() - datetime.timedelta(days=1)
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FREE_TEXT = {
    "description",
    "title",
    "immediate_action",
    "contributing_factors",
    "comment",
    "reason",
    "findings",
    "authority_reference",
    "name",
    "role",
    "note",
}
STATEFUL = {"occurred", "occurred_time", "exposure", "dose", "patient"}
VALID_HEALTH_NUMBER = "943 476 5919"


def _future(text):
    if not isinstance(text, str) or not DATE.match(text):
        return False
    try:
        return datetime.date.fromisoformat(text) > TODAY
    except ValueError:
        return False


def _inexact(number):
    if isinstance(number, bool) or not isinstance(number, (int, float)):
        return False
    if isinstance(number, float) and (math.isnan(number) or math.isinf(number)):
        return True  # NaN and Infinity are not JSON
    text = repr(number)
    if "e-" in text:
        return True
    digits = len(re.sub(r"[^0-9]", "", text.split("e")[0]).strip("0"))
    return digits > 20


def _bad_health_number(text):
    if not isinstance(text, str) or _blank(text):
        return False
    if not re.fullmatch(r"[0-9 \-]+", _trim(text)):
        return True
    digits = [int(c) for c in text if c.isdigit()]
    if len(digits) != 10:
        return True
    total = sum(d * w for d, w in zip(digits[:9], range(10, 1, -1)))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check == 10 or check != digits[9]


# What Rust's str::trim takes away (Unicode White_Space); Python's strip
# also takes \x1c-\x1f, which the server keeps.
WHITE_SPACE = set("\t\n\x0b\x0c\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000") | {
    chr(c) for c in range(0x2000, 0x200B)
}


def _blank(text):
    return all(c in WHITE_SPACE for c in text)


def _trim(text):
    start, end = 0, len(text)
    while start < end and text[start] in WHITE_SPACE:
        start += 1
    while end > start and text[end - 1] in WHITE_SPACE:
        end -= 1
    return text[start:end]


def _plain(text):
    """Free text without digits or @ (never empty)."""
    kept = re.sub(r"[0-9@]", "", text)
    return kept if not _blank(kept) else "text"


def _repair(value, key=None):
    """The value with every rule above kept, in place where it can be."""
    if isinstance(value, dict):
        for k in list(value):
            value[k] = _repair(value[k], k)
        occurred, discovered = value.get("occurred"), value.get("discovered")
        if isinstance(occurred, str) and isinstance(discovered, str) and occurred > discovered:
            value["occurred"] = discovered
        if "occurred_time" in value and value.get("occurred") is None and "discovered" in value:
            del value["occurred_time"]
        return value
    if isinstance(value, list):
        return [_repair(v, key) for v in value]
    if _future(value):
        return TODAY.isoformat()
    if _inexact(value):
        return 1
    if key == "health_number" and _bad_health_number(value):
        return VALID_HEALTH_NUMBER
    if key in FREE_TEXT and isinstance(value, str) and re.search(r"[0-9@]", value):
        return _plain(value)
    return value


def _repair_identity(body):
    patient = body.get("patient")
    if isinstance(patient, dict):
        hospital = patient.get("hospital_number")
        if isinstance(hospital, str) and not _blank(hospital):
            if not re.fullmatch(r"[A-Za-z0-9]{4,20}", re.sub(r"[ \-]", "", _trim(hospital))):
                patient["hospital_number"] = "AB1234"
        dob = patient.get("date_of_birth")
        if isinstance(dob, str) and not _blank(dob) and not DATE.match(_trim(dob)):
            patient["date_of_birth"] = "1970-01-01"
    people = [patient] if isinstance(patient, dict) else []
    staff = body.get("staff")
    if isinstance(staff, list):
        for member in staff:
            if isinstance(member, dict):
                if _blank(str(member.get("role", ""))):
                    member["role"] = "radiographer"
                people.append(member)
    for person in people:
        name = person.get("name")
        if isinstance(name, str) and not _blank(name):
            words = "".join(c if c.isalpha() else " " for c in name).split()
            if not any(len(w) >= 2 for w in words):
                person["name"] = "Alex Smith"


@schemathesis.hook
def map_case(context, case):
    meta = getattr(case, "_meta", None)
    if meta is not None and meta.generation.mode == GenerationMode.NEGATIVE:
        return case
    method = case.method.upper()
    body = case.body
    if isinstance(body, (dict, list)):
        body = _repair(body)
        if isinstance(body, dict):
            if case.operation.path.endswith("/identity") and method == "PUT":
                _repair_identity(body)
            if case.operation.path.endswith("/steps"):
                if isinstance(body.get("date"), str):
                    body["date"] = TODAY.isoformat()
                if isinstance(body.get("reference"), str):
                    body["reference"] = _plain(body["reference"])
                if body.get("step") == "assign" and isinstance(body.get("owner"), str):
                    body["owner"] = "tester"  # the one user there is
            patch = body.get("patch")
            if method == "PATCH" and isinstance(patch, dict):
                for field in [f for f, v in patch.items() if f in STATEFUL or isinstance(v, dict)]:
                    del patch[field]
        case.body = body
    query = case.query
    if isinstance(query, dict):
        start, end = query.get("discovered_from"), query.get("discovered_to")
        if isinstance(start, str) and isinstance(end, str) and start > end:
            query["discovered_from"], query["discovered_to"] = end, start
        if case.operation.path in ("/api/v1/statistics", "/api/v1/trends"):
            _repair_period(query, case.operation.path.endswith("/trends"))
    return case


def _clamp_date(text):
    """A YYYY-MM-DD date with its year within 1900 to 2999."""
    year = int(text[:4])
    if year < 1900:
        return "1900-01-01"
    if year > 2999:
        return "2999-12-31"
    return text


def _repair_period(query, trend):
    if "financial_year" in query:
        query.pop("from", None)
        query.pop("to", None)
        year = query["financial_year"]
        if not (isinstance(year, str) and year.isdigit() and 1900 <= int(year) <= 2998):
            query["financial_year"] = "2025"
        return
    for key in ("from", "to"):
        if isinstance(query.get(key), str) and DATE.match(query[key]):
            query[key] = _clamp_date(query[key])
    start, end = query.get("from"), query.get("to")
    if isinstance(start, str) and end is None and start > TODAY.isoformat():
        query["from"] = start = TODAY.isoformat()
    if isinstance(start, str) and isinstance(end, str) and start > end:
        query["from"], query["to"] = start, end = end, start
    if trend and isinstance(start, str) and DATE.match(start):
        last = end if isinstance(end, str) and DATE.match(end) else TODAY.isoformat()
        if (int(last[:4]) - int(start[:4])) * 12 + int(last[5:7]) - int(start[5:7]) + 1 > 240:
            query["from"] = f"{int(last[:4]) - 19:04d}-{last[5:7]}-01"
