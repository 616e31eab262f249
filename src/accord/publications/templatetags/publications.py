"""``{% dataset_papers dataset %}``: the papers whose authors chose to list them on the
dataset's page, and, for a licensee, the way to register one."""

from django import template

from accord.access import policy
from accord.core.pages import paginate
from accord.publications.selectors import public_publications

register = template.Library()
PAGE_SIZE = 50


@register.inclusion_tag("publications/_dataset_papers.html", takes_context=True)
def dataset_papers(context, dataset):
    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        "dataset": dataset,
        "papers": paginate(request, public_publications(dataset), PAGE_SIZE, param="papers_page")[0]
        if request is not None
        else public_publications(dataset)[:PAGE_SIZE],
        "can_register": user is not None and policy.can_register_publication(user, dataset),
    }
