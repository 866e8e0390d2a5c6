#!/usr/bin/env python3
"""A straightforward Python implementation of irmer's notification rules.

This is issue 16's yardstick for `irmer assess --json`, not a part of irmer:
the same criteria (the CQC guidance of 28 August 2024 as
shared/spec/interpretations.md reads it, as crates/irmer-core/src/guidance/
cqc_2024_08_28.rs implements it), written the way a physicist would write
them in Python: `json.loads` with every number read as an exact Decimal,
one function a criterion, one JSON line out per JSON line in.

    python3 scripts/baseline/assess.py incidents.jsonl > assessments.jsonl
    python3 scripts/baseline/assess.py --compare irmer.jsonl python.jsonl

It reads less strictly than irmer (an unknown field or a wrong type is not
refused with its line and field), which can only flatter its speed; the
reasons' wording is close to irmer's but not the same. `--compare` checks
that on the same file every decision (outcome, codes, category code, each
criterion's status, the missing facts) is the same as irmer's.
"""

import json
import sys
from datetime import date, timedelta
from decimal import Decimal

ADULT_MSV = Decimal(3)
CHILD_MSV = Decimal(1)
BAND_2_2_FROM = Decimal("0.3")
BAND_2_3_FROM = Decimal("2.5")
BAND_2_3_TO = Decimal(10)
THRESHOLD_2_3_MSV = Decimal(25)
FOETAL_MGY = Decimal(10)
INFANT_MSV = Decimal(1)
CHILD_AGE_UNDER = 18

DIAGNOSTIC = {"radiography", "fluoroscopy", "ct", "mammography", "dental", "dxa",
              "nuclear-medicine", "pet"}
INTERVENTIONAL = {"interventional-radiology", "interventional-cardiology", "interventional-ct"}
TREATMENT = {"external-beam", "brachytherapy", "intraoperative-radiotherapy"}

AUTHORITIES = {
    "england": ("cqc", "Care Quality Commission"),
    "wales": ("hiw", "Healthcare Inspectorate Wales"),
    "scotland": ("his", "Healthcare Improvement Scotland"),
    "northern-ireland": ("rqia", "Regulation and Quality Improvement Authority"),
}
DEVICE_BODY = {"england": "mhra", "wales": "mhra", "scotland": "iric", "northern-ireland": "niaic"}

ELEMENTS = {
    "ac", "at", "ba", "bi", "c", "co", "cr", "cs", "cu", "er", "f", "fe", "ga", "ho", "i", "in",
    "ir", "k", "kr", "lu", "n", "na", "o", "p", "pb", "ra", "rb", "re", "sc", "se", "sm", "sr",
    "tb", "tc", "th", "tl", "xe", "y", "zr",
}
SEPARATORS = str.maketrans({c: " " for c in "-_[]()^/,.\t\n\r"})

TECHNICAL_REPEAT = ("reading: errors [] is positive evidence of no procedural, human, systematic "
                    "or equipment error (a technical repeat), which is not a SAUE")


def category(modality):
    if modality in ("nuclear-medicine", "pet"):
        return "diagnostic-nm"
    if modality in DIAGNOSTIC:
        return "diagnostic"
    if modality in INTERVENTIONAL:
        return "interventional"
    if modality == "rt-planning-scan":
        return "planning"
    if modality == "rt-verification-imaging":
        return "verification"
    if modality in TREATMENT:
        return "treatment"
    if modality == "sirt":
        return "sirt"
    if modality == "nuclear-medicine-therapy":
        return "nmt"
    raise ValueError(f"modality: unknown {modality!r}")


CRITERIA = {
    "diagnostic-nm": ["1", "2", "5", "6", "7"],
    "diagnostic": ["1", "2", "5"],
    "interventional": ["1", "2", "3", "5"],
    "planning": ["1", "2", "4.1", "5"],
    "verification": ["1", "2", "4.2a", "4.2b", "4.2c", "5"],
    "treatment": ["1", "5", "8.1", "8.2", "9.1", "9.2"],
    "sirt": ["1", "5", "6", "7", "10.1"],
    "nmt": ["1", "5", "6", "7", "10.2"],
}


def mass_number(token):
    digits = token.rstrip("m")
    return (0 < len(digits) <= 3 and digits.isdigit() and len(token) - len(digits) <= 1)


def leading_nuclide(token):
    n = 0
    while n < len(token) and token[n].isdigit():
        n += 1
    if 0 < n <= 3:
        digits, after = token[:n], token[n:]
        for metastable in (True, False):
            if metastable:
                if not after.startswith("m"):
                    continue
                letters = after[1:]
            else:
                letters = after
            for size in (2, 1):
                if len(letters) >= size and letters[:size] in ELEMENTS:
                    return letters[:size] + digits + ("m" if metastable else ""), letters[size:]
        return None
    for size in (2, 1):
        symbol = token[:size]
        if len(symbol) < size or symbol not in ELEMENTS:
            continue
        after = token[size:]
        k = 0
        while k < len(after) and after[k].isdigit():
            k += 1
        if k == 0 or k > 3:
            continue
        tail = after[k:]
        m = ""
        if tail.startswith("m"):
            m, tail = "m", tail[1:]
        return symbol + after[:k] + m, tail
    return None


def canonical(name):
    tokens = name.lower().translate(SEPARATORS).split()
    nuclides, rest, i = [], [], 0
    while i < len(tokens):
        token = tokens[i]
        if i + 1 < len(tokens):
            nxt = tokens[i + 1]
            if token in ELEMENTS and mass_number(nxt):
                nuclides.append(token + nxt)
                i += 2
                continue
            if mass_number(token) and nxt in ELEMENTS:
                nuclides.append(nxt + token)
                i += 2
                continue
        found = leading_nuclide(token)
        if found:
            nuclides.append(found[0])
            rest.append(found[1])
        else:
            rest.append(token)
        i += 1
    return sorted(nuclides), "".join(rest)


def same_radiopharmaceutical(a, b):
    return canonical(a) == canonical(b)


def ratio_text(value, num, den, other):
    if other == 0:
        return "infinitely many times"
    exact = (value * den > other * num) - (value * den < other * num)
    factor = Decimal(num) / Decimal(den)
    digits = 3
    while True:
        shown = round(value / other, digits - 1 - (value / other).adjusted())
        if ((shown > factor) - (shown < factor)) == exact or digits >= 20:
            return f"{shown.normalize():f}x"
        digits += 2


class Judge:
    def __init__(self, incident):
        self.i = incident
        self.criteria = []
        self.missing = []
        self.notes = []

    def push(self, code, status, reason):
        self.criteria.append({"code": code, "status": status, "reason": reason})

    def undetermined(self, code, reason, missing):
        for path in missing:
            if path not in self.missing:
                self.missing.append(path)
        self.push(code, "undetermined", reason)

    def note(self, text):
        if text not in self.notes:
            self.notes.append(text)

    def no_error(self):
        return self.i.get("errors") == []

    def technical_repeat(self, code):
        self.note(TECHNICAL_REPEAT)
        self.push(code, "not-met", "errors [] records no procedural, human, systematic or "
                  "equipment error (e.g. a technical repeat): not a SAUE")

    def out_of_scope(self):
        if self.i.get("before_clinical_use"):
            return ("the equipment was not yet in clinical use (e.g. a critical examination): "
                    "not a medical exposure under IR(ME)R; report an over-exposure to HSE")
        person = self.i.get("person", "patient")
        if person == "public":
            return ("a member of the public was exposed: outside IR(ME)R; report an "
                    "over-exposure to HSE (IRR17 regulation 26)")
        if person == "worker":
            return ("a worker was exposed: outside IR(ME)R; report an over-exposure to HSE "
                    "(IRR17 regulation 26)")
        return None

    def gate(self, code):
        why = self.out_of_scope()
        if why:
            return why
        exposure = self.i["exposure"]
        if exposure == "none":
            return "a near miss: nothing was delivered"
        if code == "1":
            if exposure != "accidental":
                return "for accidental exposures only (no exposure of any kind was intended)"
            return None
        if code in ("5", "6"):
            return None
        if exposure == "accidental":
            return "for unintended exposures only; an accidental one is judged under code 1"
        if exposure == "intended":
            return "for unintended exposures only; this exposure went as intended"
        return None

    def dose_msv(self, which):
        dose = self.i.get("dose")
        if dose is None or dose.get(which) is None:
            return "missing", None
        if dose.get("unit", "mSv") != "mSv":
            return "unit", dose["unit"]
        return "value", dose[which]

    def age_class(self):
        patient = self.i.get("patient")
        if patient is None:
            return "unknown"
        if "age" in patient:
            age = patient["age"]
            child = age < CHILD_AGE_UNDER
            if age in (16, 17) or (child and age + 2 >= CHILD_AGE_UNDER):
                self.note(f"reading: age {age} is read as {'a child' if child else 'an adult'} "
                          f"(the child thresholds apply under {CHILD_AGE_UNDER}, a setting)")
            return "child" if child else "adult"
        return patient["age_group"]

    def age_text(self):
        patient = self.i.get("patient")
        if patient is None:
            return "age not given"
        if "age" in patient:
            return f"age {patient['age']}"
        return patient["age_group"]

    def age_threshold(self, code, received, lead):
        who = self.age_text()
        klass = self.age_class()
        if klass == "adult":
            met = received >= ADULT_MSV
            self.push(code, "met" if met else "not-met",
                      f"{lead}total {received} mSv is {'at least' if met else 'under'} "
                      f"the adult threshold of 3 mSv ({who})")
        elif klass == "child":
            met = received >= CHILD_MSV
            self.push(code, "met" if met else "not-met",
                      f"{lead}total {received} mSv is {'at least' if met else 'under'} "
                      f"the child threshold of 1 mSv ({who}, a child)")
        elif received >= ADULT_MSV:
            self.push(code, "met", f"{lead}total {received} mSv meets even the adult threshold "
                      "of 3 mSv (age not given)")
        elif received < CHILD_MSV:
            self.push(code, "not-met", f"{lead}total {received} mSv is under even the child "
                      "threshold of 1 mSv (age not given)")
        else:
            self.undetermined(code, f"{lead}total {received} mSv reaches the child threshold "
                              "(1 mSv) but not the adult one (3 mSv), and no age is given",
                              ["patient.age"])

    def criterion(self, code):
        if code == "2":
            return self.bands()
        why = self.gate(code)
        if why:
            return self.push(code, "not-applicable", why)
        getattr(self, "code_" + code.replace(".", "_"))()

    def code_1(self):
        if self.no_error():
            return self.technical_repeat("1")
        nation = self.i["nation"]
        if nation != "england":
            place = {"wales": "Wales", "scotland": "Scotland",
                     "northern-ireland": "Northern Ireland"}[nation]
            return self.push("1", "met", f"in {place} every accidental exposure is notifiable, "
                             "whatever the dose")
        kind, received = self.dose_msv("received")
        lead = "accidental exposure in England: "
        if kind == "value":
            self.age_threshold("1", received, lead)
        elif kind == "missing":
            self.undetermined("1", lead + "the effective dose received is needed (3 mSv adult, "
                              "1 mSv child)", ["dose.received"])
        else:
            self.undetermined("1", f"{lead}the dose is given in {received}, but the thresholds "
                              "are in mSv effective dose", ["dose.received"])

    def bands(self):
        bands = ["2.1", "2.2", "2.3", "2.4"]
        cat = category(self.i["modality"])
        if self.i.get("dose") is None and cat in ("planning", "verification"):
            why = ("no dose given: for radiotherapy planning imaging the scan count (4.1) is the test"
                   if cat == "planning" else
                   "no dose given: for radiotherapy verification imaging the image counts "
                   "(4.2a-c) are the test")
            for code in bands:
                self.push(code, "not-applicable", why)
            return
        why = self.gate("2.1")
        if why:
            for code in bands:
                self.push(code, "not-applicable", why)
            return
        if self.no_error():
            for code in bands:
                self.technical_repeat(code)
            return
        received = self.dose_msv("received")
        kind, intended = self.dose_msv("intended")
        if kind == "unit":
            for code in bands:
                self.undetermined(code, f"the dose is given in {intended}, but 2.1-2.4 are stated "
                                  "in mSv effective dose", ["dose.intended", "dose.received"])
            return
        if kind == "missing":
            return self.bands_without_intended(received)
        if intended < BAND_2_2_FROM:
            band = "2.1"
        elif intended < BAND_2_3_FROM:
            band = "2.2"
        elif intended <= BAND_2_3_TO:
            band = "2.3"
        else:
            band = "2.4"
        if intended in (BAND_2_2_FROM, BAND_2_3_FROM, BAND_2_3_TO):
            self.note("reading: the intended dose sits exactly on a band edge (0.3, 2.5 or 10 mSv)")
        for code in bands:
            if code == band:
                self.band(code, intended, received)
            else:
                self.push(code, "not-applicable", f"intended {intended} mSv is in the {band} band")

    def bands_without_intended(self, received):
        adult = self.age_class() == "adult"
        kind, r = received
        decided = None
        if kind == "value" and r < CHILD_MSV:
            decided = (f"intended dose not given, but the total {r} mSv is under 1 mSv, below "
                       "every 2.1-2.4 threshold")
        elif kind == "value" and adult and r < ADULT_MSV:
            decided = (f"intended dose not given, but the total {r} mSv is under 3 mSv, below "
                       "every adult 2.1-2.4 threshold")
        missing = ["dose.intended"] if kind == "value" else ["dose.intended", "dose.received"]
        for code in ("2.1", "2.2", "2.3", "2.4"):
            if decided:
                self.push(code, "not-met", decided)
            else:
                self.undetermined(code, "the intended dose is needed: it picks the band (2.1-2.4) "
                                  "and the factor", missing)

    def band(self, code, intended, received):
        kind, r = received
        if kind != "value":
            return self.undetermined(code, f"intended {intended} mSv; the total effective dose "
                                     "received (mSv) is needed", ["dose.received"])
        if code == "2.1":
            self.age_threshold(code, r, f"intended {intended} mSv is under 0.3 mSv; ")
        elif code in ("2.2", "2.4"):
            num, den, where = ((10, 1, "in the 0.3-2.5 mSv band") if code == "2.2"
                               else (5, 2, "over 10 mSv"))
            met = r * den >= intended * num
            factor = Decimal(num) / Decimal(den)
            self.push(code, "met" if met else "not-met",
                      f"intended {intended} mSv is {where}; total {r} mSv is "
                      f"{ratio_text(r, num, den, intended)} intended, "
                      f"{'at least' if met else 'under'} {factor.normalize():f}x")
        else:
            met = r >= THRESHOLD_2_3_MSV
            self.push(code, "met" if met else "not-met",
                      f"intended {intended} mSv is in the 2.5-10 mSv band; total {r} mSv is "
                      f"{'at least' if met else 'under'} 25 mSv")

    def code_3(self):
        if self.i.get("tissue_reaction"):
            self.push("3", "met", "an observable tissue reaction resulted (notifiable with or "
                      "without a procedural failure)")
        else:
            self.push("3", "not-met", "no observable tissue reaction recorded so far (a reaction "
                      "that appears later is a change to the incident)")

    def code_4_1(self):
        if self.no_error():
            return self.technical_repeat("4.1")
        n = self.i.get("planning_scans")
        if n is None:
            self.undetermined("4.1", "the number of planning scans acquired is needed",
                              ["planning_scans"])
        elif n >= 3:
            self.push("4.1", "met", f"{n} planning scans acquired, at least 3 (the intended scan "
                      "repeated twice)")
        else:
            self.push("4.1", "not-met", f"{n} planning scans acquired, under 3")

    def code_4_2a(self):
        code = "4.2a"
        if self.no_error():
            return self.technical_repeat(code)
        v = self.i.get("verification")
        if v is None:
            return self.undetermined(code, "the verification imaging counts are needed",
                                     ["verification.images_in_fraction"])
        n, cause = v.get("images_in_fraction"), v.get("cause")
        if n is None:
            self.undetermined(code, "the most images taken in any single fraction is needed",
                              ["verification.images_in_fraction"])
        elif n < 3:
            self.push(code, "not-met", f"at most {n} images in a single fraction (intended "
                      "included), under 3")
        elif cause is None:
            self.undetermined(code, f"{n} images in a single fraction, but no cause (set-up, "
                              "equipment or protocol) is given", ["verification.cause"])
        else:
            self.push(code, "met", f"{n} images in a single fraction (intended included), at "
                      f"least 3, after a {cause} error")

    def code_4_2b(self):
        self.code_4_2bc("4.2b", "protocol")

    def code_4_2c(self):
        self.code_4_2bc("4.2c", "equipment")

    def code_4_2bc(self, code, wanted):
        if self.no_error():
            return self.technical_repeat(code)
        v = self.i.get("verification")
        if v is None:
            return self.undetermined(code, "the verification imaging counts are needed",
                                     ["verification.intended_images",
                                      "verification.additional_images"])
        cause = v.get("cause")
        if cause is not None and cause != wanted:
            needs = ("a protocol failure" if wanted == "protocol"
                     else "a hardware or software (equipment) failure")
            return self.push(code, "not-met", f"the cause is {cause}, not {needs}")
        if code == "4.2c" and not v.get("thematic", False):
            return self.push(code, "not-met", "the failure is not recorded as thematic "
                             "(persistent or repeated)")
        intended, additional = v.get("intended_images"), v.get("additional_images")
        if intended is None or additional is None:
            return self.undetermined(code, "the intended and additional image counts over the "
                                     "course are needed",
                                     absent(("verification.intended_images", intended),
                                            ("verification.additional_images", additional)))
        counts = f"{additional} additional images against {intended} intended over the course"
        if not (additional >= 1 and additional * 2 >= intended):
            return self.push(code, "not-met", f"{counts}: under 50% more")
        if cause is None:
            self.undetermined(code, f"{counts}: at least 50% more, but no cause is given",
                              ["verification.cause"])
        elif code == "4.2b":
            self.push(code, "met", f"{counts}: at least 50% more, from a protocol failure")
        else:
            self.push(code, "met", f"{counts}: at least 50% more, from a thematic hardware or "
                      "software failure")

    def code_5(self):
        foetus = self.i.get("foetus")
        if foetus is None:
            return self.push("5", "not-met", "no foetus exposed")
        if foetus.get("intended", False):
            return self.push("5", "not-met", "the foetal exposure was intended")
        d = foetus.get("dose_mgy")
        if d is None:
            self.undetermined("5", "an unintended foetal exposure: the foetal dose (mGy) is needed",
                              ["foetus.dose_mgy"])
        elif d >= FOETAL_MGY:
            self.push("5", "met", f"unintended foetal dose {d} mGy, at least 10 mGy (with or "
                      "without a procedural failure)")
        else:
            self.push("5", "not-met", f"unintended foetal dose {d} mGy, under 10 mGy")

    def code_6(self):
        dose = self.i.get("infant_dose_msv")
        if dose is None:
            return self.push("6", "not-met", "no breast-feeding infant exposed")
        if dose < INFANT_MSV:
            return self.push("6", "not-met", f"infant effective dose {dose} mSv, under 1 mSv")
        errors = self.i.get("errors")
        if errors is None:
            self.note("reading: errors not given is unknown: code 6 needs a failure in procedure, "
                      "so it stays undetermined")
            self.undetermined("6", f"infant effective dose {dose} mSv, at least 1 mSv, but "
                              "whether there was a failure in procedure is not known", ["errors"])
        elif not errors:
            self.push("6", "not-met", f"infant effective dose {dose} mSv, at least 1 mSv, but "
                      "errors [] records no failure in procedure")
        else:
            self.push("6", "met", f"infant effective dose {dose} mSv, at least 1 mSv, after a "
                      f"failure in procedure ({', '.join(errors)})")

    def code_7(self):
        r = self.i.get("radiopharmaceutical")
        if r is None:
            self.push("7", "not-met", "no other radiopharmaceutical than intended recorded")
        elif same_radiopharmaceutical(r["intended"], r["administered"]):
            self.push("7", "not-met", f"{r['administered']!r} and {r['intended']!r} are the same "
                      "radiopharmaceutical, written differently")
        else:
            self.push("7", "met", f"{r['administered']!r} administered instead of "
                      f"{r['intended']!r}: an incorrect radiopharmaceutical, whatever the dose")

    def deliveries(self):
        therapy = self.i.get("therapy")
        if not therapy:
            return None
        return therapy.get("deliveries") or None

    def miss(self):
        therapy = self.i.get("therapy") or {}
        return therapy.get("geographical_miss", "none")

    def code_8_1(self):
        deliveries = self.deliveries()
        if deliveries is None:
            return self.undetermined("8.1", "the delivered and intended doses are needed",
                                     ["therapy.deliveries"])
        for d in deliveries:
            factor = over_factor(d)
            if factor:
                return self.push("8.1", "met", f"{delivery_text(d, factor)}, at least "
                                 f"{Decimal(factor[0]) / Decimal(factor[1])}x")
        listed = "; ".join(
            delivery_text(d, (11, 10) if d["scope"] == "course" else (12, 10)) for d in deliveries)
        self.push("8.1", "not-met", "no delivery reaches 1.1x intended (whole course) or 1.2x "
                  f"(any fraction): {listed}")

    def code_8_2(self):
        miss = self.miss()
        if miss != "none":
            self.note("reading: with a geographical miss the under-dose is judged under 9.1/9.2 "
                      "only, so 8.2 is not applicable; 8.1 is still assessed")
            return self.push("8.2", "not-applicable", f"a {miss} geographical miss: the "
                             "under-dose is judged under 9.1/9.2, not 8.2")
        deliveries = self.deliveries()
        if deliveries is None:
            return self.undetermined("8.2", "the delivered and intended doses are needed",
                                     ["therapy.deliveries"])
        ptv = [d for d in deliveries if d["structure"] == "ptv" and d["scope"] == "course"]
        if not ptv:
            return self.undetermined("8.2", "no whole-course delivery to the planning target "
                                     "volume (PTV) is given", ["therapy.deliveries"])
        for d in ptv:
            if under(d):
                return self.push("8.2", "met", f"{delivery_text(d, (9, 10))}, at most 0.9x")
        listed = "; ".join(delivery_text(d, (9, 10)) for d in ptv)
        self.push("8.2", "not-met", f"above 0.9x intended over the whole course: {listed}")

    def code_9_1(self):
        if self.miss() == "total":
            self.push("9.1", "met", "a total geographical miss (notifiable even for a single "
                      "fraction or a significant part of one)")
        else:
            self.push("9.1", "not-met", "no total geographical miss recorded")

    def code_9_2(self):
        if self.miss() != "partial":
            return self.push("9.2", "not-met", "no partial geographical miss recorded")
        therapy = self.i["therapy"]
        miss, margin = therapy.get("miss_mm"), therapy.get("margin_mm")
        size_ok, size_missing = None, []
        if miss is not None and margin is not None:
            limit = f"2.5x the {margin} mm margin"
            if miss * 2 > margin * 5:
                size_ok = f"a partial miss of {miss} mm exceeds {limit}"
            else:
                return self.push("9.2", "not-met",
                                 f"a partial miss of {miss} mm does not exceed {limit}")
        else:
            size_missing = absent(("therapy.miss_mm", miss), ("therapy.margin_mm", margin))
        factor_ok, factor_why = None, None
        deliveries = self.deliveries()
        if deliveries is None:
            factor_why = "the doses are needed to test the 8.1 and 8.2 factors"
        else:
            over = next(((d, over_factor(d)) for d in deliveries if over_factor(d)), None)
            ptv = [d for d in deliveries if d["structure"] == "ptv" and d["scope"] == "course"]
            low = next((d for d in ptv if under(d)), None)
            if over:
                factor_ok = f"{delivery_text(over[0], over[1])} meets the 8.1 factor"
            elif low:
                factor_ok = f"{delivery_text(low, (9, 10))} meets the 8.2 factor"
            elif not ptv:
                factor_why = ("no delivery meets the 8.1 factor, and without a whole-course "
                              "delivery to the PTV the 8.2 factor cannot be tested")
            else:
                lead = (f"{size_ok}, but " if size_ok
                        else "a partial miss (its size not yet given), but ")
                return self.push("9.2", "not-met", f"{lead}no delivery meets the 8.1 or 8.2 factor")
        if size_ok and factor_ok:
            self.push("9.2", "met", f"{size_ok}, and {factor_ok}")
        elif size_ok:
            self.undetermined("9.2", f"{size_ok}; {factor_why}", ["therapy.deliveries"])
        elif factor_ok:
            self.undetermined("9.2", f"a partial miss, and {factor_ok}: the size of the miss and "
                              "the local error margin (mm) are needed", size_missing)
        else:
            self.undetermined("9.2", "a partial miss: the size of the miss and the local error "
                              f"margin (mm) are needed; {factor_why}",
                              size_missing + ["therapy.deliveries"])

    def code_10_1(self):
        self.code_10("10.1", (8, 10), (12, 10), "20%")

    def code_10_2(self):
        self.code_10("10.2", (9, 10), (11, 10), "10%")

    def code_10(self, code, low, high, band):
        activity = self.i.get("activity") or {}
        prescribed, delivered = activity.get("prescribed_mbq"), activity.get("delivered_mbq")
        if prescribed is None or delivered is None:
            return self.undetermined(code, "the prescribed and delivered activities (MBq) are "
                                     "needed", absent(("activity.prescribed_mbq", prescribed),
                                                      ("activity.delivered_mbq", delivered)))
        lead = f"delivered {delivered} MBq against {prescribed} MBq prescribed"
        if delivered * low[1] < prescribed * low[0]:
            self.push(code, "met", f"{lead}: {ratio_text(delivered, *low, prescribed)}, "
                      f"outside -{band}")
        elif delivered * high[1] > prescribed * high[0]:
            self.push(code, "met", f"{lead}: {ratio_text(delivered, *high, prescribed)}, "
                      f"outside +{band}")
        else:
            self.push(code, "not-met", f"{lead}: {ratio_text(delivered, 1, 1, prescribed)}, "
                      f"within +/-{band} (the edge itself is inside)")

    def category_from_facts(self):
        """(code, None) or (None, the field that would give it, or None)."""
        i = self.i
        exposure = i["exposure"]
        if exposure == "accidental":
            return "1", None
        if exposure == "intended":
            if i.get("foetus") is not None:
                return "5", None
            if i.get("infant_dose_msv") is not None:
                return "6", None
        r = i.get("radiopharmaceutical")
        if r is not None and not same_radiopharmaceutical(r["intended"], r["administered"]):
            return "7", None
        cat = category(i["modality"])
        if cat == "interventional":
            return "3", None
        if cat == "planning":
            return "4.1", None
        if cat == "verification":
            v = i.get("verification") or {}
            cause = v.get("cause")
            if cause == "set-up":
                return "4.2a", None
            if cause == "protocol":
                return "4.2b", None
            if cause == "equipment":
                return ("4.2c" if v.get("thematic", False) else "4.2a"), None
            return None, "verification.cause"
        if cat == "treatment":
            miss = self.miss()
            if miss == "total":
                return "9.1", None
            if miss == "partial":
                return "9.2", None
            deliveries = self.deliveries()
            if deliveries is None:
                return None, "therapy.deliveries"
            if any(d["delivered_gy"] > d["intended_gy"] for d in deliveries):
                return "8.1", None
            if any(d["structure"] == "ptv" and d["delivered_gy"] < d["intended_gy"]
                   for d in deliveries):
                return "8.2", None
            return None, None
        if cat == "sirt":
            return "10.1", None
        if cat == "nmt":
            return "10.2", None
        kind, intended = self.dose_msv("intended")
        if kind != "value":
            return None, "dose.intended"
        if intended < BAND_2_2_FROM:
            return "2.1", None
        if intended < BAND_2_3_FROM:
            return "2.2", None
        if intended <= BAND_2_3_TO:
            return "2.3", None
        return "2.4", None

    def finish(self):
        i = self.i
        exposure = i["exposure"]
        out_of_scope = self.out_of_scope()
        if exposure == "none" and out_of_scope is None:
            self.note("a near miss: no statutory criterion applies; record and investigate it "
                      "(regulation 8(3)); it may be notified voluntarily (V) to share learning")
        harmful = exposure in ("accidental", "unintended")
        errors = i.get("errors")
        equipment = errors is not None and "equipment" in errors
        people = i.get("people", 1)
        multiple = people >= 2 or i.get("theme", False)
        if out_of_scope:
            m = ("not-applicable", out_of_scope)
        elif not harmful:
            m = ("not-applicable", "M is for accidental or unintended exposures")
        elif not multiple:
            m = ("not-met", "one individual, and not part of an identified theme")
        elif self.no_error():
            self.note(TECHNICAL_REPEAT)
            m = ("not-met", "errors [] records no error: technical repeats are not SAUE, "
                 "however many")
        elif people >= 2:
            m = ("met", f"{people} individuals exposed in this incident: notifiable regardless "
                 "of each one's dose")
        else:
            m = ("met", "part of an identified theme: notifiable regardless of each individual's "
                 "dose")
        if not i.get("clinically_significant", False):
            c = ("not-met", "not judged clinically significant")
        elif out_of_scope:
            c = ("not-applicable", out_of_scope)
        elif not harmful:
            self.note("reading: clinically_significant is set, but C applies to accidental or "
                      "unintended exposures")
            c = ("not-applicable", "C is for accidental or unintended exposures")
        else:
            c = ("met", "judged clinically significant under the employer's procedure (a CSAUE): "
                 "a statutory notification whatever the thresholds")
        if equipment:
            e = ("met", "equipment was a direct cause: E is added to any notification made; alone "
                 "it makes nothing notifiable")
        else:
            e = ("not-met", "no equipment error recorded")
        met_codes = [c_["code"] for c_ in self.criteria if c_["status"] == "met"]
        any_undetermined = any(c_["status"] == "undetermined" for c_ in self.criteria)
        statutory = bool(met_codes) or m[0] == "met" or c[0] == "met"
        voluntary = i.get("voluntary", False)
        if out_of_scope:
            outcome = "out-of-scope"
        elif statutory:
            outcome = "notifiable"
        elif any_undetermined:
            outcome = "undetermined"
        elif voluntary:
            outcome = "voluntary"
        else:
            outcome = "not-notifiable"
        if not voluntary:
            v = ("not-met", "no voluntary notification asked for")
        elif outcome == "voluntary":
            v = ("met", "not statutory; notified voluntarily to share learning")
        elif outcome == "notifiable":
            self.note("reading: V is dropped on a statutory notification")
            v = ("not-met", "dropped: this is a statutory notification")
        elif outcome == "undetermined":
            self.note("reading: V waits until the statutory question is decided")
            v = ("undetermined", "the statutory question comes first: give the missing facts, "
                 "then V can be decided")
        else:
            v = ("not-applicable", out_of_scope or "not a medical exposure under IR(ME)R")
        for letter, (status, reason) in (("M", m), ("E", e), ("V", v), ("C", c)):
            self.push(letter, status, reason)
        if met_codes:
            category_code, category_missing = met_codes[0], None
        else:
            category_code, category_missing = self.category_from_facts()
        codes = list(met_codes)
        if outcome == "notifiable":
            letters = [letter for letter, on in (("M", m[0] == "met"), ("E", equipment),
                                                 ("C", c[0] == "met")) if on]
        elif outcome == "voluntary":
            letters = (["E"] if equipment else []) + ["V"]
        else:
            letters = []
        if category_code is not None:
            codes += [letter + category_code for letter in letters]
        elif letters:
            self.note("reading: a complementary code needs a category code, and none could be "
                      "found")
            if category_missing and category_missing not in self.missing:
                self.missing.append(category_missing)
        authority = None
        if outcome in ("notifiable", "voluntary"):
            ident, name = AUTHORITIES[i["nation"]]
            authority = {"id": ident, "name": name}
        deadlines = None
        if outcome == "notifiable":
            discovered = date.fromisoformat(i["discovered"])
            deadlines = {"notify_by": (discovered + timedelta(days=14)).isoformat(),
                         "report_by": (discovered + timedelta(days=84)).isoformat()}
        other_reports = []
        if equipment:
            other_reports.append({"to": DEVICE_BODY[i["nation"]], "why": "equipment was a "
                                  "direct cause: report the device incident (good practice even "
                                  "below the SAUE criteria)"})
        licence = i.get("licence") or {}
        if licence.get("employer") is False or licence.get("practitioner") is False:
            other_reports.append({"to": "arsac", "why": "a radioactive substance was administered "
                                  "without the appropriate licence (regulation 5): notify the "
                                  "ARSAC Support Unit, and a copy to the enforcing authority is "
                                  "encouraged"})
        if out_of_scope:
            other_reports.append({"to": "hse", "why": out_of_scope})
        duties = ["investigate-and-record"]
        if c[0] == "met":
            duties += ["duty-of-candour", "inform-referrer-practitioner-patient"]
        return {
            "guidance": "cqc-2024-08-28",
            "outcome": outcome,
            "codes": codes,
            "category_code": category_code,
            "criteria": self.criteria,
            "authority": authority,
            "deadlines": deadlines,
            "other_reports": other_reports,
            "duties": duties,
            "missing": self.missing,
            "notes": self.notes,
        }


def absent(*pairs):
    """The paths of the (path, value) pairs whose value was not given."""
    return [path for path, value in pairs if value is None]


def over_factor(d):
    factor = (11, 10) if d["scope"] == "course" else (12, 10)
    if d["delivered_gy"] > d["intended_gy"] and \
            d["delivered_gy"] * factor[1] >= d["intended_gy"] * factor[0]:
        return factor
    return None


def under(d):
    return d["delivered_gy"] * 10 <= d["intended_gy"] * 9


def delivery_text(d, factor):
    structure = "PTV" if d["structure"] == "ptv" else "OAR"
    scope = "whole course" if d["scope"] == "course" else "one fraction"
    return (f"{structure} {scope}: {d['delivered_gy']} Gy delivered against {d['intended_gy']} Gy "
            f"intended, {ratio_text(d['delivered_gy'], *factor, d['intended_gy'])}")


def assess(incident):
    for field in ("nation", "discovered", "modality", "exposure"):
        if field not in incident:
            raise ValueError(f"{field}: required")
    judge = Judge(incident)
    for code in CRITERIA[category(incident["modality"])]:
        judge.criterion(code)
    return judge.finish()


def decisions(assessment):
    return (assessment["outcome"], assessment["codes"], assessment["category_code"],
            [(c["code"], c["status"]) for c in assessment["criteria"]],
            sorted(assessment["missing"]))


def compare(irmer_path, python_path):
    with open(irmer_path) as a, open(python_path) as b:
        lines = differing = 0
        for number, (x, y) in enumerate(zip(a, b), start=1):
            lines += 1
            if decisions(json.loads(x)) != decisions(json.loads(y)):
                differing += 1
                if differing <= 5:
                    print(f"line {number}: irmer {decisions(json.loads(x))}\n"
                          f"        python {decisions(json.loads(y))}", file=sys.stderr)
        rest = a.readline() or b.readline()
    print(f"{lines} assessments compared, {differing} with a different decision"
          + (", and the files differ in length" if rest else ""))
    return 1 if differing or rest else 0


def main(argv):
    if len(argv) == 4 and argv[1] == "--compare":
        return compare(argv[2], argv[3])
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = sys.stdout
    bad = 0
    with open(argv[1]) as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                incident = json.loads(line, parse_float=Decimal, parse_int=Decimal)
                assessment = assess(incident)
            except (ValueError, KeyError, TypeError) as e:
                print(f"line {number}: {e}", file=sys.stderr)
                bad += 1
                continue
            out.write(json.dumps(assessment, separators=(",", ":")))
            out.write("\n")
    return 2 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
