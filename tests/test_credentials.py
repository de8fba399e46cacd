"""Micro-credentials as issued against EU Annex I: Europass (ELM) and Open Badges 3.0 credentials, signed or not,
catalogues as units write them, hostile files, the results workbook, evidence for an eu-mc-2022 audit, and the
quality checks screen of the TUI.

The two shared samples (tests/samples/credentials/edc-mc-example.json, open-badge-mc-example.json, MIT licence,
LICENSE-MyNextID-credentials beside them; the Europass sample's page images replaced by a 1-pixel PNG) are
checked as issued; the faulty variants are made here from them and from our own complete credentials.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO

SAMPLES = REPO / "tests" / "samples" / "credentials"
EDC = SAMPLES / "edc-mc-example.json"
OB3 = SAMPLES / "open-badge-mc-example.json"
ELM_COMPLETE = SAMPLES / "elm-complete.jsonld"
OB3_COMPLETE = SAMPLES / "ob3-complete.json"
CATALOGUE = SAMPLES / "catalogue-as-units-write.csv"
TODAY = "2026-11-28"
CLAIM = "credentialSubject.hasClaim"
SPEC = "credentialSubject.hasClaim.specifiedBy"


def check(cli, *args) -> tuple[int, dict]:
    result = cli("credentials", "check", *map(str, args), "--date", TODAY, "--json")
    assert "Traceback" not in result.err
    return result.code, json.loads(result.out)


def elements(credential: dict) -> dict[str, dict]:
    return {e["element"]: e for e in credential["elements"]}


def variant(tmp_path: Path, source: Path, name: str, change) -> Path:
    data = json.loads(source.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signed_jwt(payload: dict, *, kid: str = "did:example:utn#key-1") -> tuple[str, object]:
    """A compact JWS signed with ECDSA P-256 (ES256) by the cryptography library; returns it and the public key."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    key = ec.generate_private_key(ec.SECP256R1())
    header = {"alg": "ES256", "typ": "JWT", "kid": kid}
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}"
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return f"{signing_input}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}", key.public_key()


# --- the shared samples, as issued -------------------------------------------------------------------------------


def test_the_europass_sample_shows_every_element_it_carries_with_its_path(cli):
    code, data = check(cli, EDC)
    assert code == 1  # it states no quality assurance
    (credential,) = data["credentials"]
    assert credential["format"] == "Europass EDC (European Learning Model)"
    assert credential["signature"] == "not signed: no embedded proof, and not wrapped in a JWS or JWT"
    found = elements(credential)
    assert {k: (e["status"], e["path"]) for k, e in found.items() if e["status"] == "found"} == {
        "learner_identification": ("found", "credentialSubject.fullName.en"),
        "title": ("found", f"{CLAIM}.title.en"),
        "country": ("found", f"{CLAIM}.awardedBy.awardingBody.location.address.countryCode"),
        "awarding_body": ("found", f"{CLAIM}.awardedBy.awardingBody.legalName.en"),
        "date_of_issue": ("found", "issued"),
        "learning_outcomes": ("found", f"{SPEC}.learningOutcome[0].title.en"),
        "workload": ("found", f"{SPEC}.creditPoint.point"),
        "level": ("found", f"{SPEC}.eqfLevel"),
        "assessment": ("found", f"{CLAIM}.provenBy.specifiedBy.dcType"),
        "participation": ("found", f"{SPEC}.mode"),
        "supervision": ("found", f"{CLAIM}.provenBy.idVerification"),
        "grade": ("found", f"{CLAIM}.provenBy.grade.noteLiteral.en"),
        "further_information": ("found", f"{CLAIM}.description.en"),
    }
    assert found["learner_identification"]["value"] == "Joe Doe; national ID 12345"
    assert found["country"]["value"] == "Slovenia (SVN)"
    assert found["awarding_body"]["value"] == "NETIS d.o.o."
    assert found["date_of_issue"]["value"] == "2026-01-12"
    assert found["learning_outcomes"]["value"] == \
        "2 outcomes: Example of learning outcome; Example of learning second outcome"
    assert found["workload"]["value"] == "5 ECTS; volumeOfLearning PT45H = 45 hours"
    assert found["level"]["value"] == "EQF 6; MECU Level 7"
    assert (found["assessment"]["vocabulary"], found["assessment"]["guess"]) == ("testing", False)
    assert (found["participation"]["value"], found["participation"]["vocabulary"]) == ("Online", "online")
    assert found["supervision"]["vocabulary"] == "supervised online or onsite with identity verification"
    assert found["quality_assurance"] == {**found["quality_assurance"], "status": "missing", "path": None}
    assert "no accreditation in credentialSubject.hasClaim.specifiedBy.accreditation" in \
        found["quality_assurance"]["reason"]
    assert credential["missing"] == ["Type of quality assurance"]
    assert data["missing_by_element"] == {"Type of quality assurance": 1}


def test_the_open_badge_sample_shows_every_element_it_carries_with_its_path(cli):
    code, data = check(cli, OB3)
    assert code == 1
    (credential,) = data["credentials"]
    assert credential["format"] == "Open Badges 3.0"
    found = elements(credential)
    assert {k: e["path"] for k, e in found.items() if e["status"] == "found"} == {
        "learner_identification": "credentialSubject.identifier[0]",
        "title": "credentialSubject.achievement.name",
        "awarding_body": "issuer.name",
        "date_of_issue": "awardedDate",
        "learning_outcomes": "credentialSubject.achievement.alignment[0].targetName",
        "workload": "credentialSubject.achievement.creditsAvailable",
        "assessment": "credentialSubject.achievement.criteria.narrative",
        "further_information": "credentialSubject.achievement.description",
    }
    assert found["learner_identification"]["value"] == "emailAddress, hashed"
    assert found["learning_outcomes"]["value"].endswith(": Develop test procedures; Analyse test data")
    assert "Open Badges 3.0 does not say which credits" in found["workload"]["value"]
    # "complete a capstone project" reads as applying a skill, but the words do not say so outright
    assert (found["assessment"]["vocabulary"], found["assessment"]["guess"]) == ("application of a skill", True)
    assert credential["missing"] == ["Country or region of the issuer", "Level (EQF / QF-EHEA), where applicable",
                                     "Form of participation", "Type of quality assurance"]
    assert found["country"]["reason"].startswith("issuer.address has no addressCountry or addressCountryCode")
    assert "Open Badges 3.0 has no field for it" in found["participation"]["reason"]


def test_complete_credentials_in_both_models_pass_and_read_the_institution_language(cli):
    code, data = check(cli, ELM_COMPLETE, OB3_COMPLETE)
    assert code == 0
    assert [c["aligned"] for c in data["credentials"]] == [True, True]
    elm, ob3 = (elements(c) for c in data["credentials"])
    assert all(e["status"] == "found" for e in elm.values())
    assert all(e["status"] == "found" for e in ob3.values())
    # English when no language is asked for (the title is given in Malay first)
    assert (elm["title"]["path"], elm["title"]["value"]) == (f"{CLAIM}.title.en",
                                                             "Industrial IoT for maintenance engineers")
    assert elm["quality_assurance"]["value"] == ("External quality assurance: Programme accreditation of the host "
                                                 "BEng programme, by Malaysian Qualifications Agency")
    assert elm["stackability"]["vocabulary"] == "integrated or stackable"
    assert (ob3["participation"]["value"], ob3["participation"]["vocabulary"]) == ("Face-to-face", "onsite")
    assert ob3["level"]["value"] == "EQF 6 (EQF level 6)"
    assert ob3["quality_assurance"]["path"] == "credentialSubject.achievement.alignment[3]"
    code, data = check(cli, ELM_COMPLETE, "--language", "ms")
    malay = elements(data["credentials"][0])
    assert (malay["title"]["path"], malay["title"]["value"]) == (
        f"{CLAIM}.title.ms", "Internet Benda Industri untuk Jurutera Penyenggaraan")
    # an outcome without a Malay title is read in English
    assert malay["learning_outcomes"]["value"] == ("3 outcomes: Mengkonfigurasi rangkaian penderia; Interpret "
                                                   "condition-monitoring data; Plan predictive maintenance")


# --- faulty variants ---------------------------------------------------------------------------------------------


def _spec(data: dict) -> dict:
    return data["credentialSubject"]["hasClaim"]["specifiedBy"]


def _drop_awarding_body(data: dict) -> None:
    del data["credentialSubject"]["hasClaim"]["awardedBy"]["awardingBody"]
    del data["issuer"]["legalName"]


ELM_FAULTS = [
    ("no-outcomes", lambda d: _spec(d).pop("learningOutcome"), "learning_outcomes",
     f"no learningOutcome (nor learningOutcomeSummary) in {SPEC}"),
    ("no-workload", lambda d: [_spec(d).pop(k) for k in ("creditPoint", "volumeOfLearning")], "workload",
     f"no creditPoint, volumeOfLearning or workload in {SPEC}"),
    ("no-level", lambda d: [_spec(d).pop(k) for k in ("eqfLevel", "nqfLevel")], "level",
     f"no eqfLevel or nqfLevel in {SPEC} (Annex I asks for the level where one applies)"),
    ("no-awarding-body", _drop_awarding_body, "awarding_body",
     f"no awarding body with a legalName in {CLAIM}.awardedBy.awardingBody, and the issuer has no legalName"),
]


@pytest.mark.parametrize(("name", "change", "key", "reason"), ELM_FAULTS, ids=[f[0] for f in ELM_FAULTS])
def test_a_faulty_europass_credential_is_reported_precisely(cli, tmp_path, name, change, key, reason):
    path = variant(tmp_path, ELM_COMPLETE, f"{name}.jsonld", change)
    code, data = check(cli, path)
    assert code == 1
    (credential,) = data["credentials"]
    result = elements(credential)[key]
    assert (result["status"], result["path"], result["reason"]) == ("missing", None, reason)
    assert credential["missing"] == [result["name"]]  # nothing else is reported missing
    assert all(e["status"] == "found" for k, e in elements(credential).items() if k != key)


def test_the_issuer_stands_in_for_a_missing_awarding_body(cli, tmp_path):
    path = variant(tmp_path, EDC, "issuer-only.json",
                   lambda d: d["credentialSubject"]["hasClaim"]["awardedBy"].pop("awardingBody"))
    _, data = check(cli, path)
    body, country = (elements(data["credentials"][0])[k] for k in ("awarding_body", "country"))
    assert (body["path"], body["value"]) == ("issuer.legalName.en",
                                             "Velocert OÜ (the issuer; the claim names no awarding body)")
    assert (country["path"], country["value"]) == ("issuer.location.address.countryCode", "Estonia (EST)")


def test_an_open_badge_without_criteria_lacks_the_type_of_assessment(cli, tmp_path):
    path = variant(tmp_path, OB3, "no-criteria.json",
                   lambda d: d["credentialSubject"]["achievement"].pop("criteria"))
    code, data = check(cli, path)
    assert code == 1
    assessment = elements(data["credentials"][0])["assessment"]
    assert (assessment["status"], assessment["reason"]) == (
        "missing", "no criteria in credentialSubject.achievement (criteria.narrative says how the achievement is "
                   "assessed) and no assessmentType")
    assert "Type of assessment" in data["credentials"][0]["missing"]


def test_values_that_are_wrong_are_problems_even_when_present(cli, tmp_path):
    def change(data):
        data["issued"] = "2027-02-01T00:00:00Z"
        _spec(data)["eqfLevel"] = {"id": "http://data.europa.eu/snb/eqf/9", "prefLabel": {"en": "Level 9"}}
        _spec(data)["mode"] = {"prefLabel": {"en": "Weekend retreat"}}

    code, data = check(cli, variant(tmp_path, ELM_COMPLETE, "wrong.jsonld", change))
    assert code == 1
    credential = data["credentials"][0]
    assert credential["missing"] == [] and credential["aligned"] is False
    assert credential["problems"] == [
        "date of issue 2027-02-01 is in the future", "level 'Level 9' is outside 1-8 (EQF)",
        "form of participation 'Weekend retreat' is not one of Annex I's forms (online, onsite, blended, "
        "volunteering, work experience); say which of them it is"]


# --- signatures: JWT, JWS, embedded proofs ----------------------------------------------------------------------


def test_a_signed_jwt_is_read_and_its_key_named_without_claiming_a_verification(cli, tmp_path):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    payload = json.loads(OB3_COMPLETE.read_text())
    token, public_key = signed_jwt(payload)
    # the fixture is a genuine ES256 signature (checked here, by the test; qms-audit does not check it)
    head, body, signature = token.split(".")
    raw = base64.urlsafe_b64decode(signature + "==")
    public_key.verify(encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
                      f"{head}.{body}".encode(), ec.ECDSA(hashes.SHA256()))
    (tmp_path / "badge.jwt").write_text(token)
    code, data = check(cli, tmp_path / "badge.jwt")
    assert code == 0
    credential = data["credentials"][0]
    assert credential["signature"] == ("JWT signed with ES256, key id 'did:example:utn#key-1'; qms-audit did not "
                                       "verify the signature")
    assert credential["notes"] == ["paths are within the JWT payload"]
    assert elements(credential)["title"]["path"] == "credentialSubject.achievement.name"
    # a VC-JWT of the 1.1 data model carries the credential in its vc claim
    vc_token, _ = signed_jwt({"iss": "did:example:utn", "vc": payload}, kid="k2")
    (tmp_path / "vc.jwt").write_text(vc_token + "\n")
    _, data = check(cli, tmp_path / "vc.jwt")
    assert data["credentials"][0]["notes"] == ["paths are within the JWT payload, claim vc"]
    assert "key id 'k2'" in data["credentials"][0]["signature"]


def test_an_unsigned_jwt_says_so(cli, tmp_path):
    header = b64url(json.dumps({"alg": "none"}).encode())
    (tmp_path / "plain.jwt").write_text(f"{header}.{b64url(OB3_COMPLETE.read_bytes())}.")
    _, data = check(cli, tmp_path / "plain.jwt")
    assert data["credentials"][0]["signature"] == "JWT not signed (alg 'none'); no signature to rely on"
    header = b64url(json.dumps({"alg": "ES256", "kid": "k"}).encode())
    (tmp_path / "cut.jwt").write_text(f"{header}.{b64url(OB3_COMPLETE.read_bytes())}.")
    _, data = check(cli, tmp_path / "cut.jwt")
    assert data["credentials"][0]["signature"] == "JWT header names ES256 but the signature part is empty: not signed"


def test_a_sealed_europass_credential_is_read_from_its_jws_envelope(cli, tmp_path):
    header = {"alg": "RS256", "kid": "seal-2026", "b64": False, "crit": ["b64"], "x5c": ["MIIB..."]}
    envelope = {"payload": ELM_COMPLETE.read_text(),
                "signatures": [{"protected": b64url(json.dumps(header).encode()), "signature": "c2lnbmF0dXJl"}]}
    (tmp_path / "sealed.jsonld").write_text(json.dumps(envelope))
    code, data = check(cli, tmp_path / "sealed.jsonld")
    assert code == 0
    credential = data["credentials"][0]
    assert credential["signature"] == \
        "JWS signed with RS256, key id 'seal-2026'; qms-audit did not verify the signature"
    assert credential["notes"] == ["paths are within the JWS payload"]
    assert elements(credential)["level"]["value"] == "EQF 5; MQF Level 5"


def test_an_embedded_proof_is_described(cli, tmp_path):
    def sign(data):
        data["proof"] = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022",
                         "verificationMethod": "did:example:utn#key-1", "proofValue": "z58DAdFfa9SkqZMVPxAQp"}

    _, data = check(cli, variant(tmp_path, OB3_COMPLETE, "proof.json", sign))
    assert data["credentials"][0]["signature"] == (
        "embedded proof (DataIntegrityProof, eddsa-rdfc-2022) by verification method 'did:example:utn#key-1'; "
        "qms-audit did not verify the signature")


# --- hostile files -----------------------------------------------------------------------------------------------

HOSTILE = [
    ("huge.json", lambda: b'{"a": "' + b"x" * (17 * 1024 * 1024) + b'"}', "limited to 16.0 MB"),
    ("binary.json", lambda: b"\x00\x01\x02\xff" * 64, "binary content"),
    ("malformed.json", lambda: b'{"type": ["OpenBadgeCredential"], "name": }', "is not valid JSON: Expecting value "
                                                                               "at line 1, column 43"),
    ("deep.json", lambda: b"[" * 50_000 + b"]" * 50_000, "nested too deeply"),
    ("deep-objects.json", lambda: b'{"a":' * 3000 + b"1" + b"}" * 3000, "nested too deeply"),
    ("tiny-values.json", lambda: b"[" + b",".join([b"[]"] * 600_000) + b"]", "more than 100,000 JSON objects"),
    ("bad-base64.jwt", lambda: b"eyJhbGciOiJFUzI1NiJ9.eyJ0e$BlIjpbXX0.c2ln",
     "the JWT's payload is not base64url: character '$' at position 6"),
    ("cut-short.jwt", lambda: b"eyJhbGciOiJFUzI1NiJ9.eyJ0eXBlIjpbX.c2ln", "its length (13) cannot be encoded data"),
    ("two-parts.jwt", lambda: b"eyJhbGciOiJFUzI1NiJ9.eyJ0eXBlIjpbXX0", "not a JWT: a JWT is three base64url parts"),
    ("not-json.jwt", lambda: b"eyJhbGciOiJFUzI1NiJ9.bm90IGpzb24.c2ln", "the JWT's payload is not valid JSON"),
    ("badge-2.json", lambda: b'{"@context": "https://w3id.org/openbadges/v2", "type": "Assertion"}',
     "an Open Badges 2.0 assertion; only Open Badges 3.0 credentials are checked"),
    ("package.json", lambda: b'{"name": "x", "version": "1.0"}', "not a Europass (ELM) or Open Badges 3.0 credential"),
    ("empty.json", lambda: b"  \n", "the file is empty"),
]


@pytest.mark.parametrize(("name", "make", "says"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_hostile_credential_file_is_refused_in_one_line(cli, tmp_path, name, make, says):
    (tmp_path / name).write_bytes(make())
    result = cli("credentials", "check", tmp_path / name)
    assert result.code == 2
    assert "Traceback" not in result.err and result.out == ""
    (line,) = result.err_lines
    assert line.startswith(f"error: {name}: ") or line.startswith(f"error: {tmp_path / name}: ")
    assert says in line


def test_a_folder_is_checked_whole_and_its_unreadable_files_named(cli, tmp_path):
    folder = tmp_path / "issued"
    (folder / "2026").mkdir(parents=True)
    shutil.copy(ELM_COMPLETE, folder / "2026" / "a.jsonld")
    shutil.copy(OB3, folder / "b.json")
    shutil.copy(CATALOGUE, folder / "catalogue.csv")
    (folder / "broken.json").write_text('{"type": ')
    (folder / "schema.json").write_text('{"$schema": "https://json-schema.org/draft/2020-12/schema"}')
    (folder / ".hidden.json").write_text("not read")
    (folder / "notes.txt").write_text("not read")
    (folder / "link.json").symlink_to(EDC)  # links may lead anywhere: never followed
    result = cli("credentials", "check", folder, "--date", TODAY, "--json")
    assert result.code == 2  # a file could not be read, whatever the others say
    data = json.loads(result.out)
    assert [Path(c["file"]).name for c in data["credentials"]] == ["a.jsonld", "b.json"]
    assert [Path(c["file"]).name for c in data["catalogues"]] == ["catalogue.csv"]
    assert data["total"] == 7 and data["aligned"] == 5
    assert [(Path(u["file"]).name, u["reason"].split(":")[0]) for u in data["unreadable"]] == \
        [("broken.json", "the file is not valid JSON")]
    assert [Path(p["file"]).name for p in data["passed_over"]] == ["schema.json"]
    (line,) = result.err_lines
    assert line.startswith("error: ") and "broken.json: the file is not valid JSON" in line
    (folder / "broken.json").unlink()
    assert cli("credentials", "check", folder, "--date", TODAY).code == 1  # findings only
    (tmp_path / "nothing").mkdir()
    none = cli("credentials", "check", tmp_path / "nothing")
    assert none.code == 2 and "no catalogue (.csv, .xlsx) or credential (.json, .jsonld, .jwt)" in none.err


# --- catalogues as units write them ------------------------------------------------------------------------------


def test_a_catalogue_as_units_write_it(cli):
    code, data = check(cli, CATALOGUE)
    assert code == 1
    (catalogue,) = data["catalogues"]
    rows = {r["row"]: r for r in catalogue["rows"]}
    assert [rows[n]["aligned"] for n in range(2, 7)] == [True, True, True, True, False]
    assert [rows[n]["ects"] for n in range(2, 6)] == [2.0, 2.0, 3.27, 1.5]
    read = {n: elements(rows[n]) for n in rows}
    # units from the column headers, for bare numbers
    assert (read[2]["workload"]["path"], read[2]["workload"]["value"]) == ("column G 'ECTS', row 2", "2 ECTS")
    assert read[3]["workload"]["value"] == "55 hours = 2 ECTS at 27.5 hours per ECTS"
    assert read[4]["workload"]["value"] == "2 SKS = 90 hours = 3.27 ECTS (45 hours per SKS, 27.5 per ECTS)"
    # a level only where one applies; forms of participation read against Annex I's list
    assert (read[3]["level"]["status"], read[3]["level"]["reason"]) == (
        "not applicable", "'not applicable' in column J 'Level', row 3")
    assert read[5]["level"]["status"] == "not applicable"
    assert (read[3]["participation"]["vocabulary"], read[3]["participation"]["guess"]) == ("volunteering", False)
    assert (read[4]["participation"]["vocabulary"], read[4]["participation"]["guess"]) == ("online", True)
    assert read[5]["participation"]["vocabulary"] == "work experience"
    # dates as people write them, numeric ones day first
    assert [read[n]["date_of_issue"]["value"] for n in range(2, 6)] == [
        "2025-05-05", "2025-05-05 (from '05.05.2025')", "2025-05-05 (from '5 May 2025')",
        "2025-04-03 (from '03/04/2025', read day first)"]
    assert rows[6]["problems"] == [
        "missing: Learning outcomes, Notional workload (ECTS where possible)",
        "date of issue: '04/13/2025' is not a date read day first (dd/mm/yyyy): 13 cannot be a month; write it as "
        "YYYY-MM-DD",
        "level 'Level 9' is outside 1-8 (EQF)",
        "form of participation 'Weekend retreat' is not one of Annex I's forms (online, onsite, blended, volunteering, "
        "work experience); say which of them it is"]
    assert read[6]["workload"]["reason"] == "the workload columns (G 'ECTS', H 'Hours', I 'SKS') are empty in row 6"
    assert rows[6]["missing"] == ["Learning outcomes", "Notional workload (ECTS where possible)"]


def test_problems_are_wrapped_in_the_terminal_never_cut(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    result = cli("credentials", "check", CATALOGUE, "--date", TODAY)
    assert result.code == 1
    problems = "; ".join(json.loads(cli("credentials", "check", CATALOGUE, "--date", TODAY, "--json").out)
                         ["catalogues"][0]["rows"][4]["problems"])
    assert len(problems) > 300
    assert max(len(line) for line in result.lines) <= 80
    assert " ".join(problems.split()) in " ".join(result.out.split())


def test_a_workbook_catalogue_with_numbers_and_the_national_credit(cli, workspace, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    sheet = wb.active
    sheet.title = "Catalogue"
    sheet.append(["Title", "Awarding body", "Country", "Learner identification", "Date of issue", "Learning outcomes",
                  "Credits", "Level", "Type of assessment", "Form of participation", "Type of quality assurance"])
    sheet.append(["Basic welding", "Politeknik Contoh", "Indonesia", "Full name and NIK", dt.datetime(2025, 5, 5),
                  "Weld a butt joint", 2, 3, "Practical test", "On-site", "SPMI"])
    sheet.append(["Data basics", "UTN", "Malaysia", "Full name", dt.datetime(2025, 6, 1), "Clean a data set", 1.5,
                  4.0, "Online test", "online", "Internal QA"])
    wb.save(tmp_path / "catalogue.xlsx")
    # without a setting, a credit is Malaysia's 40 notional hours
    result = cli("-w", workspace, "credentials", "check", tmp_path / "catalogue.xlsx", "--date", TODAY, "--json")
    rows = json.loads(result.out)["catalogues"][0]["rows"]
    assert result.code == 0 and [r["ects"] for r in rows] == [2.91, 2.18]
    assert elements(rows[0])["workload"]["value"] == \
        "2 credits = 80 hours = 2.91 ECTS (40 hours per credit, 27.5 per ECTS)"
    assert elements(rows[0])["date_of_issue"]["value"] == "2025-05-05"  # a date cell
    assert elements(rows[1])["level"]["value"] == "EQF 4"  # a number cell
    # --credit-hours and --credit-name set the national credit for one check
    result = cli("-w", workspace, "credentials", "check", tmp_path / "catalogue.xlsx", "--date", TODAY, "--json",
                 "--credit-name", "SKS", "--credit-hours", "45")
    assert elements(json.loads(result.out)["catalogues"][0]["rows"][0])["workload"]["value"] == \
        "2 SKS = 90 hours = 3.27 ECTS (45 hours per SKS, 27.5 per ECTS)"
    # the profile's credits: setting does it for every check of the workspace
    assert cli("-w", workspace, "profile", "init").code == 0
    profile = workspace / "institution.yaml"
    text = profile.read_text()
    assert "  name: credit " in text
    profile.write_text(text.replace("  name: credit ", "  name: SKS ").replace("  hours: 40 ", "  hours: 45.33 "))
    assert cli("-w", workspace, "profile", "validate").code == 0
    result = cli("-w", workspace, "credentials", "check", tmp_path / "catalogue.xlsx", "--date", TODAY, "--json")
    assert elements(json.loads(result.out)["catalogues"][0]["rows"][0])["workload"]["value"] == \
        "2 SKS = 90.66 hours = 3.3 ECTS (45.33 hours per SKS, 27.5 per ECTS)"
    bad = cli("credentials", "check", tmp_path / "catalogue.xlsx", "--credit-hours", "0")
    assert bad.code == 2 and "--credit-hours 0" in bad.err


# --- the results workbook ----------------------------------------------------------------------------------------


def test_the_results_workbook_has_a_coloured_row_per_credential(cli, tmp_path, monkeypatch):
    from openpyxl import load_workbook

    hostile = tmp_path / "hostile.csv"
    hostile.write_text(CATALOGUE.read_text().replace("Data literacy for managers", "=HYPERLINK(\"http://x\")"))
    result = cli("credentials", "check", EDC, OB3, hostile, "--date", TODAY, "-o", tmp_path / "results.xlsx")
    assert result.code == 1 and "wrote" in result.out
    wb = load_workbook(tmp_path / "results.xlsx")
    assert wb.sheetnames == ["Credentials", "Elements", "About"]
    sheet = wb["Credentials"]
    header = [c.value for c in sheet[1]]
    assert header[:8] == ["File", "Row", "Format", "Title", "Aligned", "Mandatory missing", "Problems", "Signature"]
    assert header[8:] == ["Identification of the learner", "Title of the micro-credential",
                          "Country or region of the issuer", "Awarding body", "Date of issue", "Learning outcomes",
                          "Notional workload (ECTS where possible)", "Level (EQF / QF-EHEA), where applicable",
                          "Type of assessment", "Form of participation", "Type of quality assurance",
                          "Prerequisites (optional)", "Supervision and identity verification (optional)",
                          "Grade (optional)", "Integration or stackability (optional)",
                          "Further information (optional)"]
    rows = [[c for c in row] for row in sheet.iter_rows(min_row=2)]
    assert len(rows) == 2 + 5  # two credential files, five catalogue rows
    by_column = {name: i for i, name in enumerate(header)}
    edc = rows[0]
    title = edc[by_column["Title of the micro-credential"]]
    assert title.value == f"found: {CLAIM}.title.en: Title of your learning achievement"
    assert title.fill.fgColor.rgb.endswith("C6EFCE")
    qa = edc[by_column["Type of quality assurance"]]
    assert qa.value.startswith("missing: no accreditation in") and qa.fill.fgColor.rgb.endswith("FFC7CE")
    prerequisites = edc[by_column["Prerequisites (optional)"]]
    assert prerequisites.fill.fgColor.rgb.endswith("FFEB9C")
    assert (edc[by_column["Aligned"]].value, edc[by_column["Aligned"]].fill.fgColor.rgb[-6:]) == ("no", "FFC7CE")
    na = rows[3][by_column["Level (EQF / QF-EHEA), where applicable"]]
    assert (na.value, na.fill.fgColor.rgb[-6:]) == ("not applicable: 'not applicable' in column J 'Level', row 3",
                                                     "E7E6E6")
    # a large check leaves the sheet of one element per row out, and says so
    import qms_audit.render.credentials_xlsx as workbook

    monkeypatch.setattr(workbook, "MAX_DETAILED", 6)
    assert cli("credentials", "check", EDC, OB3, hostile, "--date", TODAY, "-o", tmp_path / "big.xlsx").code == 1
    big = load_workbook(tmp_path / "big.xlsx")
    assert big.sheetnames == ["Credentials", "About"] and big["Credentials"].max_row == 8
    assert ("Elements", "the sheet of one element per row is left out above 6 micro-credentials; the sheet "
            "Credentials holds every result") in list(big["About"].iter_rows(values_only=True))
    wrong = cli("credentials", "check", EDC, "-o", tmp_path / "results.csv")
    assert wrong.code == 2 and "name it .xlsx" in wrong.err and not (tmp_path / "results.csv").exists()
    long_problems = rows[6][by_column["Problems"]].value
    assert "say which of them it is" in long_problems and len(long_problems) > 300  # never cut
    formula_like = rows[2][by_column["Title"]]
    assert formula_like.value == '=HYPERLINK("http://x")' and formula_like.data_type == "s"
    details = list(wb["Elements"].iter_rows(min_row=2, values_only=True))
    assert len(details) == 7 * 16
    assert ("Form of participation", "found", "column L 'Form of participation', row 4", "Distance learning",
            "online", "yes") in [(d[2], d[4], d[5], d[6], d[8], d[9]) for d in details]


# --- evidence for an audit against eu-mc-2022 ---------------------------------------------------------------------


def test_the_check_is_attached_as_evidence_to_an_eu_audit(cli, demo_workspace):
    ws = demo_workspace
    made = cli("-w", ws, "--as", "Dr Farah Aziz", "audit", "new", "--standard", "eu-mc-2022", "--title",
               "Issued micro-credentials", "--auditee", "Faculty of Engineering", "--lead",
               "Dr Farah Aziz (Quality Assurance Unit)", "--id", "eu-2026-foe", "--start", "2026-11-20")
    assert made.code == 0, made.err
    rated = cli("-w", ws, "--as", "Dr Farah Aziz", "audit", "rate", "eu-2026-foe", "1.1.f", "-g", "conformity",
                "--note", "sampled")
    assert rated.code == 0, rated.err
    before = json.loads(cli("-w", ws, "audit", "show", "eu-2026-foe", "--json").out)["results"]
    result = cli("-w", ws, "--as", "Dr Farah Aziz", "credentials", "check", EDC, OB3, "--audit", "eu-2026-foe",
                 "--date", TODAY)
    assert result.code == 1 and "attached 16 evidence entries to audit eu-2026-foe" in result.out
    after = json.loads(cli("-w", ws, "audit", "show", "eu-2026-foe", "--json").out)["results"]
    assert before["1.1.f"]["grade"] == "conformity"
    for ref, res in before.items():
        assert after[ref].get("grade") == res.get("grade") and after[ref].get("note") == res.get("note")
    qa = [e for e in after["1.1.k"]["evidence"] if e["source"] == "credentials-check"]
    assert len(qa) == 1
    assert (qa[0]["phase"], qa[0]["kind"], qa[0]["sample"]["size"]) == ("D", "record", 2)
    assert qa[0]["text"].startswith(f"Credential check of tests/samples/credentials/edc-mc-example.json, "
                                    f"tests/samples/credentials/open-badge-mc-example.json on {TODAY}: Type of quality "
                                    "assurance found in 0 of 2 micro-credential(s), missing in 2: ")
    title = [e for e in after["1.1.b"]["evidence"] if e["source"] == "credentials-check"]
    assert "found in 2 of 2 micro-credential(s), e.g. at credentialSubject.hasClaim.title.en" in title[0]["text"]
    again = cli("-w", ws, "--as", "Dr Farah Aziz", "credentials", "check", EDC, OB3, "--audit", "eu-2026-foe",
                "--date", TODAY)
    assert "attached" not in again.out  # nothing attached twice
    assert cli("-w", ws, "verify", "eu-2026-foe").code == 0
    wrong = cli("-w", ws, "--as", "Dr Farah Aziz", "credentials", "check", EDC, "--audit", "demo-2026-foe")
    assert wrong.code == 2
    assert wrong.err_lines == ["error: audit demo-2026-foe is against mc-qms@1.1, whose requirements cite no element "
                               "of EU Annex I; attach the check to an audit against eu-mc-2022"]


# --- the quality checks screen -----------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_the_checks_screen_shows_the_same_result(demo_workspace, monkeypatch, tmp_path, size):
    from textual.widgets import Input, Static

    from qms_audit.infra.locations import Workspace
    from qms_audit.tui.app import QmsAuditApp
    from qms_audit.tui.screens.checks import ChecksScreen
    from tests.test_tui import plain

    monkeypatch.setenv("QMS_AUDIT_NOW", f"{TODAY}T10:00:00Z")
    monkeypatch.setenv("QMS_AUDIT_STATE", str(tmp_path / "state"))
    folder = tmp_path / "issued"
    folder.mkdir()
    shutil.copy(EDC, folder)
    shutil.copy(CATALOGUE, folder)
    app = QmsAuditApp(Workspace(demo_workspace), "Dr Farah Aziz")
    async with app.run_test(size=size) as pilot:
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, ChecksScreen)
        await pilot.press("k")
        await pilot.pause()
        app.screen.query_one("#field-file", Input).value = str(folder)
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        results = app.screen.query_one("#results", Static)
        text = plain(results)
        assert "4 of 5 micro-credentials carry every EU Annex I mandatory element" in text
        assert "edc-mc-example.json" in text and "lacks 1 mandatory element" in text
        assert f"{CLAIM}.awardedBy.awardingBody.location.address.countryCode: Slovenia (SVN)" in text
        assert "no accreditation in credentialSubject.hasClaim.specifiedBy.accreditation" in text
        assert "signature: not signed" in text
        # the screen wraps what is long: the widget is no wider than the terminal
        assert results.size.width <= size[0]
        assert "form of participation 'Weekend retreat' is not one of Annex I's forms" in text


# --- the value rules ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "day", "note"), [
    ("2025-05-05", dt.date(2025, 5, 5), ""),
    ("2025-05-05T16:24:37Z", dt.date(2025, 5, 5), ""),
    ("5.5.2025", dt.date(2025, 5, 5), ""),
    ("05/05/2025", dt.date(2025, 5, 5), ""),
    ("03/04/2025", dt.date(2025, 4, 3), "read day first"),
    ("03-04-2025", dt.date(2025, 4, 3), "read day first"),
    ("2025/04/03", dt.date(2025, 4, 3), "read year, month, day"),
    ("5 May 2025", dt.date(2025, 5, 5), ""),
    ("5th May 2025", dt.date(2025, 5, 5), ""),
    ("May 5, 2025", dt.date(2025, 5, 5), ""),
    ("13 Sept 2025", dt.date(2025, 9, 13), ""),
])
def test_dates_as_people_write_them(text, day, note):
    from qms_audit.services.credentials.values import read_date

    assert (read_date(text).day, read_date(text).note) == (day, note)


@pytest.mark.parametrize(("text", "says"), [
    ("04/13/2025", "13 cannot be a month"),
    ("31.02.2025", "not a real date"),
    ("next spring", "not a date"),
    ("5/5/25", "not a date"),
])
def test_dates_that_are_not_read(text, says):
    from qms_audit.services.credentials.values import read_date

    reading = read_date(text)
    assert reading.day is None and says in reading.note


@pytest.mark.parametrize(("text", "terms", "guess"), [
    ("Online", ("online",), False),
    ("e-learning", ("online",), False),
    ("On-site", ("onsite",), False),
    ("Face to face", ("onsite",), False),
    ("Hybrid", ("blended",), False),
    ("onsite or blended", ("onsite", "blended"), False),
    ("Volunteering", ("volunteering",), False),
    ("Internship", ("work experience",), False),
    ("Distance learning", ("online",), True),
    ("Weekend retreat", (), False),
])
def test_forms_of_participation_read_against_annex_i(text, terms, guess):
    from qms_audit.services.credentials.values import read_participation

    reading = read_participation(text)
    assert (reading.terms, reading.guess) == (terms, guess)


@pytest.mark.parametrize(("text", "term", "guess"), [
    ("Supervised with ID Verification", "supervised online or onsite with identity verification", False),
    ("supervised with no identity verification", "supervised with no identity verification", False),
    ("Unsupervised without ID Verification", "unsupervised with no identity verification", False),
    ("proctored exam", "supervised online or onsite with identity verification", True),
])
def test_supervision_read_against_annex_i(text, term, guess):
    from qms_audit.services.credentials.values import read_supervision

    reading = read_supervision(text)
    assert (reading.terms, reading.guess) == ((term,), guess)


@pytest.mark.parametrize(("text", "header", "ects", "problem"), [
    ("2 ECTS", "Workload", 2.0, None),
    ("55 hours", "Workload", 2.0, None),
    ("1,5", "ECTS", 1.5, None),
    ("2", "Notional learning hours", 0.07, None),
    ("2 SKS", "Workload", 3.27, None),
    ("1.5 credits", "Workload", 2.18, None),
    ("20", "Workload", None, "cannot be converted to ECTS: no unit in the cell or in the column header 'Workload'"),
    ("3 units", "Workload", None, "the unit 'units' is not ECTS, hours or a known credit"),
    ("0 ECTS", "Workload", None, "must be more than zero"),
])
def test_workloads_and_their_units(text, header, ects, problem):
    from qms_audit.services.credentials.values import CreditRule, read_workload

    workload = read_workload(text, CreditRule(), header=header)
    assert workload.ects == ects
    assert (problem is None and workload.problem is None) or (problem is not None and problem in workload.problem)


def test_durations_count_hours_of_learning_only():
    from qms_audit.services.credentials.values import duration_hours

    assert [duration_hours(d) for d in ("PT45H", "PT90M", "PT1H30M", "P1M", "P2D", "45 hours")] == \
        [45.0, 1.5, 1.5, None, None, None]


# --- credentials with random values where the model expects others ---------------------------------------------


def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _paths(item, (*path, i))


def _replace(document, path, new, *, delete: bool):
    if not path:
        return new
    parent = document
    for part in path[:-1]:
        parent = parent[part]
    if delete and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = new
    return document


def _json_values():
    from hypothesis import strategies as st

    scalars = st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False) | \
        st.text(max_size=30) | st.sampled_from(["", "PT45H", "P1M", "2027-01-01", "n/a", "Level 9", "=1+1"])
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) |
                        st.dictionaries(st.sampled_from(["en", "de", "prefLabel", "id", "noteLiteral", "point",
                                                         "title", "x"]), inner, max_size=3), max_leaves=8)


def test_credentials_with_random_values_are_checked_or_refused_clearly(cli, tmp_path):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    sources = [json.loads(p.read_text()) for p in (ELM_COMPLETE, OB3_COMPLETE, EDC)]

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(data=st.data())
    def mutated(data):
        document = copy_of(data.draw(st.sampled_from(sources)))
        for _ in range(data.draw(st.integers(1, 4))):
            path = data.draw(st.sampled_from(list(_paths(document))))
            document = _replace(document, path, data.draw(_json_values()), delete=data.draw(st.booleans()))
        (tmp_path / "mutant.json").write_text(json.dumps(document))
        result = cli("credentials", "check", tmp_path / "mutant.json", "--date", TODAY, "--json")
        assert result.code in (0, 1, 2), result.err
        assert "Traceback" not in result.err and "internal error" not in result.err, result.err
        if result.code == 2:
            (line,) = result.err_lines
            assert line.startswith("error: ")
        else:
            assert len(json.loads(result.out)["credentials"][0]["elements"]) == 16

    mutated()


def copy_of(value):
    return json.loads(json.dumps(value))


async def test_the_checks_screen_of_an_audit_attaches_the_result(demo_workspace, cli, monkeypatch, tmp_path):
    from textual.widgets import Input, Select

    from qms_audit.infra.locations import Workspace
    from qms_audit.tui.app import QmsAuditApp
    from qms_audit.tui.screens.checks import ChecksScreen
    from tests.test_tui import plain

    made = cli("-w", demo_workspace, "--as", "Dr Farah Aziz", "audit", "new", "--standard", "eu-mc-2022", "--title",
               "Issued micro-credentials", "--auditee", "Faculty of Engineering", "--lead",
               "Dr Farah Aziz (Quality Assurance Unit)", "--id", "eu-2026-foe", "--start", "2026-11-20")
    assert made.code == 0, made.err
    monkeypatch.setenv("QMS_AUDIT_NOW", f"{TODAY}T10:00:00Z")
    monkeypatch.setenv("QMS_AUDIT_STATE", str(tmp_path / "state"))
    app = QmsAuditApp(Workspace(demo_workspace), "Dr Farah Aziz")
    async with app.run_test(size=(100, 30)) as pilot:
        await app.push_screen(ChecksScreen(Workspace(demo_workspace), "Dr Farah Aziz", audit_id="eu-2026-foe"))
        await pilot.pause()
        await pilot.press("k")
        await pilot.pause()
        app.screen.query_one("#field-file", Input).value = str(OB3_COMPLETE)
        app.screen.query_one("#field-attach", Select).value = "yes"
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "attached 16 evidence entries to audit eu-2026-foe" in plain(app.screen.query_one("#results"))
    results = json.loads(cli("-w", demo_workspace, "audit", "show", "eu-2026-foe", "--json").out)["results"]
    participation = [e for e in results["1.1.j"]["evidence"] if e["source"] == "credentials-check"]
    assert len(participation) == 1 and "Form of participation found in 1 of 1" in participation[0]["text"]
