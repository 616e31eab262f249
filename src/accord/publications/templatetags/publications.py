"""``{% dataset_papers dataset %}``: the papers whose authors chose to list them on the
dataset's page."""

from django import template

from accord.publications.selectors import public_publications

register = template.Library()


@register.inclusion_tag("publications/_dataset_papers.html")
def dataset_papers(dataset):
    return {"dataset": dataset, "papers": public_publications(dataset)}
