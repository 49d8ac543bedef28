"""A trial as FHIR R4 resources (DOMAIN.md §5).

Patient; the trial as an EpisodeOfCare; per dose given a Procedure (SNOMED 277762005 lumbar
puncture, reason SNOMED 221360009 spasticity) and a MedicationAdministration (baclofen SNOMED
387342009, route intrathecal SNOMED 72607000, dose in UCUM ug); vital-sign Observations with
their LOINC codes; Modified Ashworth and Penn scores, the responder decisions and the outcome as
Observations under local code systems; each adverse event as an AdverseEvent (seriousness,
severity, onset, outcome, the attempt's Procedure and MedicationAdministration as suspects); each
signature as a Provenance; a Practitioner for each clinician named.

An amended record is exported as amended: the resources carry the current values, a note on
the resource says what was amended, and each amendment is a Provenance of its own (activity
UPDATE, the reason, the amender's modification signature).

Late entries (DOMAIN.md §2a): an Observation is `issued` when it was entered and an AdverseEvent
`recordedDate`d then; a Procedure and MedicationAdministration carry an entered-at extension. A
late entry has a late-entry extension (and note) with "late entry · entered … by …: reason"; a
discharge before the criteria were met has a discharge-exception extension with its reason.

Resource ids are UUIDs derived from the database ids, so every export of the same record carries
the same ids. In a Bundle the entries are addressed as urn:uuid: and refer to each other that
way; in NDJSON (bulk) references are relative ("Patient/<id>").
"""

import json
from collections.abc import Iterable, Iterator

from django.utils import timezone

from .codes import (
    AE_RESOLVED_AT,
    CONTENT_TYPE,
    DISCHARGE_EXCEPTION,
    ENTERED_AT,
    LATE_ENTRY,
    NDJSON_CONTENT_TYPE,
    SPASTICITY,
    bundle_ref,
    instant,
    relative_ref,
    resource_id,
)
from .resources import TrialResources

# The names the views and the tests use.
__all__ = [
    "AE_RESOLVED_AT", "CONTENT_TYPE", "DISCHARGE_EXCEPTION", "ENTERED_AT", "LATE_ENTRY",
    "NDJSON_CONTENT_TYPE", "SPASTICITY", "TrialResources", "ndjson", "trial_bundle",
]  # fmt: skip


def trial_bundle(trial) -> dict:
    """The trial as a Bundle of type collection, entries addressed by urn:uuid."""
    resources = TrialResources(trial, bundle_ref).resources()
    return {
        "resourceType": "Bundle",
        "id": resource_id("Bundle", trial.pk),
        "type": "collection",
        "timestamp": instant(timezone.now()),
        "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources],
    }


def ndjson(trials: Iterable) -> Iterator[str]:
    """One resource per line for many trials; a Patient or Practitioner shared by several trials
    is written once."""
    seen: set[tuple[str, str]] = set()
    for trial in trials:
        lines = []
        for resource in TrialResources(trial, relative_ref).resources():
            key = (resource["resourceType"], resource["id"])
            if key in seen:
                continue
            if key[0] in ("Patient", "Practitioner"):
                seen.add(key)
            lines.append(json.dumps(resource, ensure_ascii=False, separators=(",", ":")) + "\n")
        yield "".join(lines)
