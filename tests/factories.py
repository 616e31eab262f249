"""factory_boy factories with traits. Prefer services for scenario data; these make the
objects services start from."""

from __future__ import annotations

import datetime as dt

import factory
from factory.django import DjangoModelFactory

from accord.accounts.models import User
from accord.catalog.models import (
    Clause,
    Custodian,
    CustodianStaff,
    Dataset,
    LicenseVersion,
    RequiredCitation,
    Subject,
    Variant,
)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["email"]
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@uni{n}.example.edu")
    full_name = factory.Sequence(lambda n: f"Person {n}")
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):
        """Mark the email verified in allauth (default); pass verified=False to skip."""
        if not create or extracted is False:
            return
        from allauth.account.models import EmailAddress

        EmailAddress.objects.update_or_create(
            user=obj, email=obj.email, defaults={"verified": True, "primary": True}
        )

    @factory.post_generation
    def mfa(obj, create, extracted, **kwargs):
        """Superusers get a TOTP authenticator (two-factor is required of them); mfa=True
        gives one to anybody, mfa=False to nobody."""
        if create and (extracted or (extracted is None and obj.is_superuser)):
            give_totp(obj)


# Two-factor is required of staff and superusers (accord.ops.mfa); factories give them this
# authenticator so tests can sign in; tests/core/test_hardening.py signs in with real codes from it.
TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def give_totp(user) -> None:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, TEST_TOTP_SECRET)


class CustodianFactory(DjangoModelFactory):
    class Meta:
        model = Custodian
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"custodian-{n}")
    name = factory.Sequence(lambda n: f"Custodian Lab {n}")
    country = "Finland"
    contact_email = factory.Sequence(lambda n: f"data{n}@lab.example.edu")


class StaffFactory(DjangoModelFactory):
    class Meta:
        model = CustodianStaff
        skip_postgeneration_save = True

    custodian = factory.SubFactory(CustodianFactory)
    user = factory.SubFactory(UserFactory)
    role = CustodianStaff.Role.REVIEWER

    class Params:
        data_manager = factory.Trait(role=CustodianStaff.Role.DATA_MANAGER)
        admin = factory.Trait(role=CustodianStaff.Role.ADMIN)

    @factory.post_generation
    def mfa(obj, create, extracted, **kwargs):
        """Staff have two-factor set up (required); pass mfa=False for staff who have not."""
        if create and extracted is not False:
            give_totp(obj.user)


class DatasetFactory(DjangoModelFactory):
    class Meta:
        model = Dataset
        django_get_or_create = ["slug"]

    custodian = factory.SubFactory(CustodianFactory)
    slug = factory.Sequence(lambda n: f"dataset-{n}")
    name = factory.Sequence(lambda n: f"Dataset {n}")
    summary = "A synthetic test dataset."
    description = "Synthetic."
    modalities = ["video"]
    is_published = True
    requires_affiliated_email = True

    class Params:
        unpublished = factory.Trait(is_published=False)
        open_email = factory.Trait(requires_affiliated_email=False)


class VariantFactory(DjangoModelFactory):
    class Meta:
        model = Variant

    dataset = factory.SubFactory(DatasetFactory)
    slug = factory.Sequence(lambda n: f"variant-{n}")
    name = factory.Sequence(lambda n: f"Variant {n}")


class SubjectFactory(DjangoModelFactory):
    class Meta:
        model = Subject

    dataset = factory.SubFactory(DatasetFactory)
    code = factory.Sequence(lambda n: f"s{n:02d}")


class CitationFactory(DjangoModelFactory):
    class Meta:
        model = RequiredCitation

    dataset = factory.SubFactory(DatasetFactory)
    key = factory.Sequence(lambda n: f"ref{n}")
    text = "A. Author, A synthetic paper, 2024."
    bibtex = factory.LazyAttribute(lambda o: f"@article{{{o.key},\n  title={{Synthetic}}\n}}")


class LicenseVersionFactory(DjangoModelFactory):
    class Meta:
        model = LicenseVersion

    dataset = factory.SubFactory(DatasetFactory)
    version = 1
    title = "Licence agreement"
    effective_date = factory.LazyFunction(lambda: dt.date(2024, 1, 1))
    status = LicenseVersion.Status.PUBLISHED


class ClauseFactory(DjangoModelFactory):
    class Meta:
        model = Clause

    license_version = factory.SubFactory(LicenseVersionFactory)
    code = factory.Sequence(lambda n: f"X{n}")
    title = "No commercial use"
    text = "The data may not be used commercially."
