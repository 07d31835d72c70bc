"""The menu's numbers: `{% signoffs_waiting as count %}` in base.html (one COUNT query per page)."""

from django import template

from accountability.analysis.change_selectors import person_for_user, signoffs_waiting_count

register = template.Library()


@register.simple_tag(takes_context=True)
def signoffs_waiting(context) -> int:
    request = context.get("request")
    if request is None:
        return 0
    return signoffs_waiting_count(person=person_for_user(request.user))
