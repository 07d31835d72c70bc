from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accountability.analysis.change_selectors import person_for_user
from accountability.notify.forms import INCIDENTS_ALWAYS, NotificationSettingsForm
from accountability.notify.models import NotificationSettings
from accountability.web.permissions import can_view, require


@require_http_methods(["GET", "POST"])
@require(can_view)
def notification_settings(request):
    person = person_for_user(request.user)
    if person is None:
        return render(request, "notify/settings.html", {"person": None}, status=200)
    current = NotificationSettings.objects.filter(person=person).first() or NotificationSettings(
        person=person
    )
    form = NotificationSettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Saved: what you hear from Accountability.")
        return redirect("notify:settings")
    return render(
        request,
        "notify/settings.html",
        {"person": person, "form": form, "incidents_always": INCIDENTS_ALWAYS},
    )
