from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Exists, OuterRef
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from epochs import selectors as epoch_selectors
from epochs.models import PendingEpochSnapshot
from octant.core.cids import cid_of
from octant.core.fields import address_checksum
from octant.web.admin import ADDRESS_OVERRIDES, address_html, count_text

from . import services
from .models import Project

IMAGE_FORMATS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "WEBP": "webp"}  # Pillow's name: the extension
FROZEN = ("Epoch {epoch} is frozen: its pending snapshot exists, so its projects can no longer be added, "
          "changed or removed.")


def current_epoch() -> int:
    return epoch_selectors.chain_view().current


class EpochFilter(admin.SimpleListFilter):
    """By epoch; opens on the current epoch, or, while it has no project, on the last epoch before it that has
    (during an allocation window the current epoch is the one after the projects donors fund); 'All' shows
    every epoch."""

    title = "epoch"
    parameter_name = "epoch"
    ALL = "all"

    def __init__(self, request, params, model, model_admin):
        self.current = current_epoch()  # the page's one read of the chain (lookups and value use it)
        self.with_projects = set(Project.objects.values_list("epoch", flat=True).distinct())
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        epochs, current = set(self.with_projects), self.current
        if current:
            epochs.add(current)
        return [(str(e), f"{e} (current)" if e == current else str(e)) for e in sorted(epochs, reverse=True)]

    def default(self) -> str:
        if not self.current:
            return self.ALL
        earlier = [epoch for epoch in self.with_projects if epoch <= self.current]
        return str(self.current if self.current in self.with_projects or not earlier else max(earlier))

    def value(self):
        value = super().value()
        return self.default() if value is None else value

    def queryset(self, request, queryset):
        value = self.value()
        if value == self.ALL:
            return queryset
        try:
            return queryset.filter(epoch=int(value))
        except ValueError:
            return queryset.none()

    def choices(self, changelist):
        yield {"selected": self.value() == self.ALL, "display": "All",
               "query_string": changelist.get_query_string({self.parameter_name: self.ALL})}
        for lookup, title in self.lookup_choices:
            yield {"selected": self.value() == lookup, "display": title,
                   "query_string": changelist.get_query_string({self.parameter_name: lookup})}


class FrozenFilter(admin.SimpleListFilter):
    title = "editable"
    parameter_name = "frozen"

    def lookups(self, request, model_admin):
        return [("no", "open for curation"), ("yes", "frozen (pending snapshot taken)")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(is_frozen=self.value() == "yes")
        return queryset


class WebsiteFilter(admin.SimpleListFilter):
    title = "website"
    parameter_name = "website"

    def lookups(self, request, model_admin):
        return [("yes", "has a website"), ("no", "no website")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(website="")
        if self.value() == "no":
            return queryset.filter(website="")
        return queryset


class ProjectForm(forms.ModelForm):
    website = forms.URLField(required=False, assume_scheme="https", help_text=Project._meta.get_field("website").help_text)

    class Meta:
        model = Project
        fields = ["epoch", "address", "name", "intro_description", "description", "website", "website_label",
                  "profile_image"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "profile_image" in self.fields:  # not on a frozen epoch's read-only page
            self.fields["profile_image"].help_text += f" At most {settings.PROJECT_IMAGE_MAX_BYTES:,} bytes."

    def clean_profile_image(self):
        """A new upload is checked (size, one of the formats the web client shows) and named by the CID of its
        bytes; bytes stored already are reused (docs/lifecycle.md §8.2)."""
        image = self.cleaned_data.get("profile_image")
        if not isinstance(image, UploadedFile):  # the stored one, none, or False: cleared
            return image
        if image.size > settings.PROJECT_IMAGE_MAX_BYTES:
            raise ValidationError(f"The image is larger than {settings.PROJECT_IMAGE_MAX_BYTES:,} bytes.")
        extension = IMAGE_FORMATS.get(image.image.format)  # forms.ImageField opened it with Pillow
        if extension is None:
            raise ValidationError("Upload a PNG, JPEG, GIF or WebP image.")
        image.seek(0)
        name = f"{cid_of(image.read())}.{extension}"
        if default_storage.exists(name):
            return name
        image.name = name
        return image

    def clean_epoch(self):
        epoch = self.cleaned_data["epoch"]
        if epoch is not None and epoch < 1:
            raise ValidationError("Epochs start at 1.")
        if epoch is not None and epoch_selectors.epoch_has_pending_snapshot(epoch=epoch):
            raise ValidationError(FROZEN.format(epoch=epoch))
        return epoch


class ImportForm(forms.Form):
    epoch = forms.IntegerField(min_value=1, help_text="The epoch the projects are added to (not a frozen one).")
    file = forms.FileField(help_text="A CSV file whose first line names its columns among "
                                     f"{','.join(services.IMPORT_COLUMNS)} (address required). At most 1,000 "
                                     "rows, 1 MB.")

    def clean_epoch(self):
        epoch = self.cleaned_data["epoch"]
        if epoch_selectors.epoch_has_pending_snapshot(epoch=epoch):
            raise ValidationError(FROZEN.format(epoch=epoch))
        return epoch

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 1_000_000:
            raise ValidationError("The file is larger than 1 MB.")
        try:
            return upload.read().decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError("The file is not UTF-8 text.")


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    form = ProjectForm
    formfield_overrides = ADDRESS_OVERRIDES
    list_display = ["name", "short_address", "epoch", "website_link", "editable"]
    list_display_links = ["name", "short_address"]
    list_filter = [EpochFilter, FrozenFilter, WebsiteFilter]
    search_fields = ["name", "address", "description"]
    search_help_text = "Search by name, address (any part, any case) or description."
    ordering = ["-epoch", "name"]
    actions = ["copy_to_next_epoch", "delete_selected"]
    list_per_page = 50

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            is_frozen=Exists(PendingEpochSnapshot.objects.filter(epoch=OuterRef("epoch"))))

    @admin.display(description="address", ordering="address")
    def short_address(self, obj):
        try:
            address_checksum(obj.address)
        except ValidationError:  # stored before addresses were checked: staff must correct it
            return format_html('<span class="errornote" title="not a valid address">invalid: {}</span>',
                               obj.address)
        return address_html(obj.address)

    @admin.display(description="website", ordering="website")
    def website_link(self, obj):
        return format_html('<a href="{}" rel="noopener noreferrer">{}</a>', obj.website, obj.website) \
            if obj.website else "—"

    @admin.display(description="editable", boolean=True)
    def editable(self, obj):
        return not obj.is_frozen

    def _frozen(self, obj) -> bool:
        frozen = getattr(obj, "is_frozen", None)
        return epoch_selectors.epoch_has_pending_snapshot(epoch=obj.epoch) if frozen is None else frozen

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj and self._frozen(obj))

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and self._frozen(obj))

    def get_changeform_initial_data(self, request):
        return {"epoch": current_epoch() or None, **super().get_changeform_initial_data(request)}

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None and self._frozen(obj):
            self.message_user(request, FROZEN.format(epoch=obj.epoch) + " It is shown read-only.",
                              messages.WARNING)
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description="Delete selected projects (not of frozen epochs)", permissions=["delete"])
    def delete_selected(self, request, queryset):
        frozen = sorted(epoch_selectors.epochs_with_pending_snapshot(epochs=queryset.values_list("epoch", flat=True)))
        if frozen:
            self.message_user(request, "Nothing deleted. " + " ".join(FROZEN.format(epoch=e) for e in frozen),
                              messages.ERROR)
            return None
        return delete_selected(self, request, queryset)

    @admin.action(description="Copy the selected projects' epochs to the next epoch", permissions=["add"])
    def copy_to_next_epoch(self, request, queryset):
        epochs = sorted(set(queryset.values_list("epoch", flat=True)))
        for epoch in epochs:
            if epoch_selectors.epoch_has_pending_snapshot(epoch=epoch + 1):
                self.message_user(request, f"Epoch {epoch}: not copied. " + FROZEN.format(epoch=epoch + 1),
                                  messages.ERROR)
                continue
            created = services.projects_copy_to_next_epoch(epoch=epoch)
            self.message_user(request, f"Epoch {epoch}: copied {count_text(created, 'project')} to epoch {epoch + 1}.",
                              messages.SUCCESS)

    # --- CSV import ---------------------------------------------------------------------------------------

    def get_urls(self):
        return [path("import/", self.admin_site.admin_view(self.import_view), name="projects_project_import"),
                *super().get_urls()]

    def import_view(self, request):
        if not self.has_add_permission(request):
            return redirect("admin:projects_project_changelist")
        errors, form = [], None
        if request.method == "POST":
            form = ImportForm(request.POST, request.FILES)
            if form.is_valid():
                epoch = form.cleaned_data["epoch"]
                result = services.projects_import_csv(epoch=epoch, text=form.cleaned_data["file"])
                if not result.errors:
                    self.message_user(request, f"Imported {count_text(result.created, 'project')} into epoch {epoch}.",
                                      messages.SUCCESS)
                    return redirect(reverse("admin:projects_project_changelist") + f"?epoch={epoch}")
                errors = result.errors
        form = form or ImportForm(initial={"epoch": current_epoch() or None})
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
                   "row_errors": errors, "title": "Import projects from CSV"}
        return TemplateResponse(request, "admin/projects/project/import.html", context)
