"""History of the records that decide who sees what (§10.5.3, §12).

`AuditHistory` is django-simple-history's `HistoricalRecords` with two fixes the reference
records need: a save that touches only noise fields (`last_login` on every sign-in) writes no
history row, and a many-to-many change made from the other side (`group.user_set.add(user)`,
`user.resolver_groups.add(group)`) records the tracked object instead of failing or recording
the wrong one.
"""

from simple_history.models import HistoricalRecords


class AuditHistory(HistoricalRecords):
    def __init__(self, *args, noise_fields: tuple[str, ...] = (), **kwargs):
        self.noise_fields = frozenset(noise_fields)
        super().__init__(*args, **kwargs)

    def post_save(self, instance, created, using=None, **kwargs):
        update_fields = kwargs.get("update_fields")
        if not created and update_fields and set(update_fields) <= self.noise_fields:
            return
        super().post_save(instance, created, using=using, **kwargs)

    def m2m_changed(self, instance, action, attr, pk_set, reverse, **kwargs):
        if not reverse:
            super().m2m_changed(instance, action, attr, pk_set, reverse, **kwargs)
            return
        # Reverse side: `instance` is the other model; `model` is ours, `pk_set` its rows
        # (None on clear, so the rows are read before the clear).
        model = kwargs["model"]
        if action == "pre_clear":
            instance._audit_history_cleared = list(
                model._default_manager.filter(**{attr: instance}).values_list("pk", flat=True)
            )
            return
        if action == "post_clear":
            pk_set = getattr(instance, "_audit_history_cleared", [])
        elif action not in ("post_add", "post_remove"):
            return
        for obj in model._default_manager.filter(pk__in=pk_set or ()):
            super().m2m_changed(obj, action, attr, pk_set, False, **kwargs)
