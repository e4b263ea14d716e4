"""Template filters for the admin: wei in ETH/GLM with the exact wei on hover, short addresses, durations, percentages."""
from django import template

from lifecycle.dashboard import duration_text
from octant.web.admin import address_html, wei_html

register = template.Library()


@register.filter
def eth(wei):
    return wei_html(wei, "ETH")


@register.filter
def glm(wei):
    return wei_html(wei, "GLM")


@register.filter
def address(value, name=""):
    return address_html(value, name)


@register.filter
def percent(share):
    """A share (Decimal("0.2")) as a percentage ("20%")."""
    return f"{(share * 100).normalize():f}%"


@register.filter
def duration(seconds):
    return duration_text(seconds)
