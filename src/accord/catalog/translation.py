"""Catalogue content custodian staff translate (django-modeltranslation): each field gets a
column per language (summary_en, summary_zh_hans, summary_fi). Reading ``summary`` gives the
reader's language, falling back to the original English when the translation is empty.

The English column is the original; staff forms name every language's column explicitly
(catalog.forms) and the services write under English, so nothing lands in a language by
accident of the editor's own. The terms (LicenseVersion, Clause) are not registered: their
words are hashed when published (terms_digest) and drafts are rewritten clause by clause, so
their translations need a place of their own next to the frozen version (issue #14)."""

from modeltranslation.translator import TranslationOptions, register

from accord.catalog.models import Dataset, Variant


@register(Dataset)
class DatasetTranslation(TranslationOptions):
    fields = ("name", "summary", "description")


@register(Variant)
class VariantTranslation(TranslationOptions):
    fields = ("description",)
