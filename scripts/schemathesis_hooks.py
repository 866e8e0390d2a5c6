"""Schemathesis hooks for irmer's API: leave out generated requests that
break a rule of the API which JSON Schema cannot state, each documented in
the OpenAPI descriptions (and kept by the server's own tests):

- a date after today (dates that cannot be true are refused), or an
  exposure after its discovery;
- query dates back to front (discovered_from after discovered_to);
- a number that cannot be held exactly (more than 20 significant digits, or
  a power of ten too small, as 5e-324);
- a health number whose modulus-11 check digit is wrong;
- free text with a digit or an @, which the identifier scanner may read as
  a number, a date or an address (identifiers are refused where typed);
- who is involved, where a number, name or date is not one (a hospital
  number of 4 to 20 letters and digits, a name with a word of two letters);
- a merge patch to a field whose rule joins it to what is already recorded
  (occurred, exposure, dose, patient): the incident it makes is checked
  whole, against facts the generator cannot know.

Every other generated request, valid or not, is sent, and every check runs.
"""

import datetime
import math
import re

import schemathesis

TODAY = datetime.datetime.now(datetime.timezone.utc).date() - datetime.timedelta(days=1)
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FREE_TEXT = {"description", "comment", "reason", "findings", "authority_reference", "name", "role"}


def _walk(value, key=None):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v, key)
    else:
        yield key, value


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
    if not isinstance(text, str):
        return False
    digits = [int(c) for c in text if c.isdigit()]
    if len(digits) != 10:
        return False
    total = sum(d * w for d, w in zip(digits[:9], range(10, 1, -1)))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check == 10 or check != digits[9]


def _bad_identity(body):
    patient = body.get("patient") if isinstance(body, dict) else None
    staff = body.get("staff") if isinstance(body, dict) else None
    people = []
    if isinstance(patient, dict):
        health = patient.get("health_number")
        if isinstance(health, str) and health.strip():
            if not re.fullmatch(r"[0-9 \-]+", health.strip()) or sum(c.isdigit() for c in health) != 10:
                return True
        hospital = patient.get("hospital_number")
        if isinstance(hospital, str) and hospital.strip():
            if not re.fullmatch(r"[A-Za-z0-9]{4,20}", re.sub(r"[ \-]", "", hospital.strip())):
                return True
        dob = patient.get("date_of_birth")
        if isinstance(dob, str) and dob.strip() and not DATE.match(dob.strip()):
            return True
        people.append(patient.get("name"))
    if isinstance(staff, list):
        people.extend(m.get("name") for m in staff if isinstance(m, dict))
        if any(isinstance(m, dict) and not str(m.get("role", "")).strip() for m in staff):
            return True
    for name in people:
        if isinstance(name, str) and name.strip():
            words = "".join(c if c.isalpha() else " " for c in name).split()
            if not any(len(w) >= 2 for w in words):
                return True
    return False


def _breaks_a_rule(body):
    if not isinstance(body, (dict, list)):
        return False
    for key, value in _walk(body):
        if _future(value) or _inexact(value):
            return True
        if key == "health_number" and _bad_health_number(value):
            return True
        if key in FREE_TEXT and isinstance(value, str) and re.search(r"[0-9@]", value):
            return True
    if isinstance(body, dict):
        occurred, discovered = body.get("occurred"), body.get("discovered")
        if isinstance(occurred, str) and isinstance(discovered, str) and occurred > discovered:
            return True
    return False


STATEFUL = {"occurred", "exposure", "dose", "patient"}


@schemathesis.hook
def filter_case(context, case):
    body = case.body
    if _breaks_a_rule(body):
        return False
    query = case.query or {}
    start, end = query.get("discovered_from"), query.get("discovered_to")
    if isinstance(start, str) and isinstance(end, str) and start > end:
        return False
    path = case.operation.path
    if path.endswith("/identity") and case.method.upper() == "PUT" and _bad_identity(body):
        return False
    if case.method.upper() == "PATCH" and isinstance(body, dict):
        patch = body.get("patch")
        if isinstance(patch, dict) and STATEFUL & set(patch):
            return False
    return True
