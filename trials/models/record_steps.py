from django.db import models


class RecordSteps(models.Model):
    """How a trial's record came to its revision, for the writers that know: the last few
    changes that changed known parts of the record only (a tick or an untick changes its
    checklist entries), newest first, a line each: "revision revision-before part,part".

    Not part of the record (no trigger gives the trial a new revision when this row changes) and
    never shown: each process keeps copies of records by revision (trials/services/
    record_cache.py), and a process that holds a copy of an earlier revision of the chain reads
    again only the parts changed since, not the whole record. Written in the transaction of the
    change, under the trial's lock; a change that writes no step (a signature, a patient's
    corrected name, an edit made in the database directly) breaks the chain, and the record is
    then read whole.
    """

    trial = models.OneToOneField(
        "trials.Trial", on_delete=models.CASCADE, primary_key=True, related_name="record_steps"
    )
    # Text, so that the database itself can put the trial's new revision at its head in the
    # statement that writes it (record_cache._write_step).
    steps = models.TextField(default="")

    def __str__(self) -> str:
        return f"Record steps of trial {self.trial_id}"
