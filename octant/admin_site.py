"""The admin site: the epoch dashboard on its index, the domain apps first, and Celery beat's scheduling
tables apart (a section of their own at the end, for superusers only)."""
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.db.models.base import ModelBase

from octant.core.exceptions import OctantError

SUPERUSER_APPS = {"django_celery_beat"}
SYSTEM_APPS = {"django_celery_beat", "auth"}


class SuperuserOnly:
    def _superuser(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_module_permission(self, request):
        return self._superuser(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._superuser(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return self._superuser(request) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return self._superuser(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._superuser(request) and super().has_delete_permission(request, obj)


class OctantAdminSite(admin.AdminSite):
    site_header = "Octant staff admin"
    site_title = "Octant admin"
    index_title = "Dashboard"
    index_template = "admin/octant_index.html"

    def register(self, model_or_iterable, admin_class=None, **options):
        models = [model_or_iterable] if isinstance(model_or_iterable, ModelBase) else list(model_or_iterable)
        if any(m._meta.app_label in SUPERUSER_APPS for m in models):
            base = admin_class or admin.ModelAdmin
            admin_class = type(base.__name__, (SuperuserOnly, base), {"__module__": base.__module__})
        return super().register(models, admin_class, **options)

    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request, app_label)
        for app in apps:
            if app["app_label"] in SYSTEM_APPS:
                app["name"] = f"System · {app['name']}"
        return sorted(apps, key=lambda app: app["app_label"] in SYSTEM_APPS)  # stable: domain apps first

    def index(self, request, extra_context=None):
        # lazy: this module is loaded from INSTALLED_APPS, before the apps' models can be imported
        from epochs.selectors import chain_view  # lazy, as above
        from lifecycle.dashboard import dashboard_chart, epoch_dashboard  # lazy, as above

        try:
            dashboard = epoch_dashboard(view=chain_view())
            context = {"dashboard": dashboard, "dashboard_chart": dashboard_chart(dashboard.figures)}
        except OctantError as error:  # e.g. the chain cannot tell yet: the index still opens
            context = {"dashboard_error": str(error)}
        return super().index(request, {**context, **(extra_context or {})})


class OctantAdminConfig(AdminConfig):
    default_site = "octant.admin_site.OctantAdminSite"
