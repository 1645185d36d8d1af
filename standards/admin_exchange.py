"""The back office's spreadsheet import and export (django-import-export), with the
portal's rules: an upload is checked and previewed first (rows to create, update and
leave unchanged, and every error with its row and column), a reason is recorded with
every change, and the confirmed import is all or nothing."""

import uuid
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.admin import ImportExportMixin
from import_export.forms import ConfirmImportForm, ImportForm
from import_export.tmp_storages import BaseStorage

from standards.admin_bounds import lookups_of_the_request
from standards.exchange import FORMATS, preview_of, read_upload
from standards.models import PendingImport
from standards.times import dated_file_name


class DatabaseStorage(BaseStorage):
    """Keeps an upload between preview and confirmation in the database, where every
    app server finds it."""

    MAX_AGE = timedelta(days=1)

    def save(self, data):
        if isinstance(data, str):
            data = data.encode(self.encoding or "utf-8")
        self.name = uuid.uuid4().hex
        PendingImport.objects.filter(created_at__lt=timezone.now() - self.MAX_AGE).delete()
        PendingImport.objects.create(name=self.name, content=data)

    def read(self):
        upload = PendingImport.objects.filter(name=self.name).first()
        if upload is None:
            raise ValidationError(
                _("The uploaded file is no longer available; upload it again."), code="expired"
            )
        content = bytes(upload.content)
        return content if "b" in self.read_mode else content.decode(self.encoding or "utf-8")

    def remove(self):
        PendingImport.objects.filter(name=self.name).delete()


# What a query of the export can raise that django-import-export does not show itself.
EXPORT_QUERY_ERRORS = (DatabaseError, OverflowError, TypeError)

REASON_HELP = gettext_lazy(
    "Recorded in the change history of every record the file creates or changes."
)


class ReasonImportForm(ImportForm):
    reason = forms.CharField(
        label=gettext_lazy("Reason for this import"), max_length=500, help_text=REASON_HELP
    )

    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        self.formats = formats
        self.resources = resources

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("import_file")
        if upload is None or self.errors:
            return cleaned
        file_format = self.formats[int(cleaned["format"])]()
        resource = self.resources[int(cleaned.get("resource") or 0)]
        upload.seek(0)
        # Never more than one byte past the limit in memory: read_upload then refuses it.
        data = upload.read(settings.IMPORT_MAX_BYTES + 1)
        upload.seek(0)
        try:
            read_upload(data, file_format, resource)
        except ValidationError as error:
            # The error stays with the form; the frames that read the file do not.
            error.__traceback__ = None
            self.add_error("import_file", error)
        return cleaned


class ReasonConfirmImportForm(ConfirmImportForm):
    reason = forms.CharField(widget=forms.HiddenInput(), max_length=500)

    def __init__(self, *args, formats=(), resources=(), **kwargs):
        super().__init__(*args, **kwargs)
        # The confirmation carries the format and the resource of the preview as indices
        # of the page's lists; one that is not an index of them is refused like any
        # other choice the page does not offer.
        self.fields["format"] = _index_choice(formats, required=True)
        self.fields["resource"] = _index_choice(resources, required=False)


def _index_choice(options, required):
    return forms.ChoiceField(
        choices=[(str(index), str(index)) for index in range(len(options))],
        widget=forms.HiddenInput(),
        required=required,
    )


class ExchangeAdminMixin(ImportExportMixin):
    """Import and export buttons on a model's changelist, for CSV and XLSX."""

    import_form_class = ReasonImportForm
    confirm_form_class = ReasonConfirmImportForm
    import_template_name = "admin/standards/import.html"
    import_error_display = ("message",)
    # The admin log would say "added"/"changed" a second time, beside the history rows.
    skip_admin_log = True

    def get_import_formats(self):
        return FORMATS

    def get_export_formats(self):
        return FORMATS

    def get_export_filename(self, request, queryset, file_format):
        return dated_file_name(self.model.__name__, file_format.get_extension())

    def get_import_resource_kwargs(self, request, **kwargs):
        form = kwargs.get("form")
        reason = ""
        if form is not None and form.is_bound and form.is_valid():
            reason = form.cleaned_data.get("reason", "")
        return {"reason": reason, "user": request.user}

    def get_import_data_kwargs(self, **kwargs):
        form = kwargs.pop("form", None)
        kwargs.pop("request", None)
        if form is not None and form.is_valid():
            kwargs["reason"] = form.cleaned_data.get("reason", "")
        # One invalid row and nothing at all is written.
        kwargs["rollback_on_validation_errors"] = True
        return kwargs

    def get_confirm_form_kwargs(self, request, import_form=None):
        kwargs = super().get_confirm_form_kwargs(request, import_form)
        kwargs["formats"] = self.get_import_formats()
        kwargs["resources"] = self.get_import_resource_classes(request)
        return kwargs

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial["reason"] = import_form.cleaned_data["reason"]
        return initial

    def import_action(self, request, **kwargs):
        response = super().import_action(request, **kwargs)
        context = getattr(response, "context_data", None) or {}
        result = context.get("result")
        refused = (form := context.get("form")) is not None and form.is_bound and form.errors
        if result is not None and (result.has_errors() or result.has_validation_errors()):
            refused = True
        elif result is not None:
            context["preview"] = preview_of(result)
        if request.method == "POST" and refused:
            response.status_code = 400
            if form is not None and form.is_bound:
                self._say_hidden_field_errors(request, form)
            # No confirmation will follow: the stored upload is not needed. (A form error
            # found after it was stored, such as a file with no rows, takes the file out
            # of the form's cleaned data: the upload is the request's.)
            upload = request.FILES.get("import_file")
            if name := getattr(upload, "tmp_storage_name", None):
                PendingImport.objects.filter(name=name).delete()
        return response

    def process_import(self, request, **kwargs):
        try:
            response = super().process_import(request, **kwargs)
        except ValidationError as error:  # the upload expired between preview and confirm
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(
                reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import")
            )
        return self._refused_when_invalid(request, response, "confirm_form")

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            # The data changed between preview and confirmation so that a row no longer
            # imports: the whole import was rolled back.
            self.message_user(
                request,
                _("The import was not carried out: nothing was changed. See the errors."),
                messages.ERROR,
            )
            context = {
                **self.admin_site.each_context(request),
                **self.get_import_context_data(),
                "title": _("Import"),
                "opts": self.model._meta,
                "result": result,
                "form": self.get_import_form_class(request)(
                    self.get_import_formats(), self.get_import_resource_classes(request)
                ),
            }
            return TemplateResponse(request, [self.import_template_name], context, status=409)
        return super().process_result(result, request)

    def export_action(self, request):
        # The export takes the changelist's filters from the query string, as the
        # changelist does, and must refuse the same lookups the same way.
        try:
            response = super().export_action(request)
        except IncorrectLookupParameters:
            changelist = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
            return HttpResponseRedirect(f"{changelist}?{ERROR_FLAG}=1")
        return self._refused_when_invalid(request, response, "form")

    def get_export_data(self, file_format, request, queryset, **kwargs):
        # The rows are read here: a lookup that fails only when its query runs fails
        # here. (django-import-export shows a ValueError or a FieldError as a message.)
        with lookups_of_the_request(queryset.db, bool(request.GET), EXPORT_QUERY_ERRORS):
            return super().get_export_data(file_format, request, queryset, **kwargs)

    def _refused_when_invalid(self, request, response, form_name):
        """A page shown again because its posted form was refused answers 400. The
        errors of a hidden field (the resource, when there is one) are said in a message:
        the page has no place for them."""
        form = (getattr(response, "context_data", None) or {}).get(form_name)
        if form is None or not form.is_bound or not form.errors:
            return response
        response.status_code = 400
        if form_name == "form":
            self._say_hidden_field_errors(request, form)
        return response

    def _say_hidden_field_errors(self, request, form):
        for field in form.hidden_fields():
            for error in field.errors:
                self.message_user(request, f"{field.label}: {error}", messages.ERROR)

    def add_success_message(self, result, request):
        totals = result.totals
        self.message_user(
            request,
            _("Import finished: %(new)d created, %(update)d updated, %(skip)d unchanged.")
            % {"new": totals["new"], "update": totals["update"], "skip": totals["skip"]},
            messages.SUCCESS,
        )
