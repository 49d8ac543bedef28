from datetime import date

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Concat, Upper

from core.links import record_url
from core.upper_text import UpperText


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Unknown"


class Diagnosis(models.TextChoices):
    MULTIPLE_SCLEROSIS = "ms", "Multiple sclerosis"
    SPINAL_CORD_INJURY = "sci", "Spinal cord injury"
    CEREBRAL_PALSY = "cp", "Cerebral palsy"
    ACQUIRED_BRAIN_INJURY = "abi", "Acquired brain injury"
    OTHER = "other", "Other"


class PatientQuerySet(models.QuerySet):
    def search(self, text: str) -> "PatientQuerySet":
        """Patients whose MRN starts with the text, or whose first or last name contains every
        word of it: "maren holl" finds Maren Holloway, and each word added narrows the search."""
        text = search_text(text)
        return self.matching(text, text.split()) if text else self

    def matching(self, text: str, words: "list[str] | tuple[str, ...]") -> "PatientQuerySet":
        """search() of a text already cleaned (search_text) and of its words."""
        named = Q()
        for word in words:  # a word has no space: it cannot match across the two names
            named &= Q(search_names__upper_contains=word)
        return self.filter(Q(search_mrn__upper_startswith=text) | named)

    def first_found(self, text: str, limit: int) -> "PatientQuerySet":
        """At most `limit` of the patients the search finds, to order and page: the search
        stops reading there, so a common name costs the same in a register of any size (in
        no particular order: the database reads its matches in the order of the table)."""
        return self.first_matching(self.search(text), limit)

    def first_matching(self, found: "PatientQuerySet", limit: int) -> "PatientQuerySet":
        return self.filter(pk__in=found.order_by().values("pk")[:limit])


def search_text(text: str | None) -> str:
    """What a search looks for: the text without NUL (which PostgreSQL text can neither store nor
    search, and no name holds) and the spaces around it."""
    return (text or "").replace("\x00", "").strip()


class Patient(models.Model):
    mrn = models.CharField("MRN", max_length=32, unique=True, help_text="Medical record number.")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=8, choices=Sex.choices)
    weight_kg = models.DecimalField(
        "Weight (kg)",
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(2), MaxValueValidator(400)],
    )
    diagnosis = models.CharField(max_length=8, choices=Diagnosis.choices)
    diagnosis_detail = models.CharField(max_length=200, blank=True)
    allergies = models.TextField(blank=True, help_text="Write 'none known' if there are none.")
    anticoagulants = models.TextField(
        "Anticoagulants / antiplatelets", blank=True, help_text="Drug, dose, last dose."
    )
    oral_antispasmodics = models.TextField(blank=True, help_text="Drug and daily dose.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # What the search compares (PatientQuerySet.matching), kept upper-cased by the database so
    # that a search upper-cases only its own text, not three columns of every row it reads.
    search_mrn = models.GeneratedField(
        expression=Upper("mrn"), output_field=UpperText(), db_persist=True
    )
    search_names = models.GeneratedField(
        expression=Upper(Concat("last_name", Value(" "), "first_name")),
        output_field=UpperText(),
        db_persist=True,
    )

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name"]
        # The search (PatientQuerySet.search) also has PostgreSQL-only indexes, made by migration
        # 0003: a trigram (pg_trgm) index on search_names for "contains", and one on search_mrn
        # with text_pattern_ops for "starts with" and "equals" (an exact MRN starts with itself).
        indexes = [models.Index(fields=["last_name", "first_name"], name="patient_by_name")]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight_kg__gte=2) & Q(weight_kg__lte=400), name="patient_weight_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.last_name}, {self.first_name} ({self.mrn})"

    def get_absolute_url(self) -> str:
        return record_url("patients:detail", self.pk)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def age_on(self, day: date) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
