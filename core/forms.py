"""Form pieces the portal pages of every app share."""

from core.errors import DomainError


class DomainErrorFormMixin:
    """Put a service's DomainError onto the form: field errors next to their fields."""

    # Names the services use for a field, where the form calls it something else.
    service_field_names: dict[str, str] = {}

    def add_domain_error(self, exc: DomainError) -> None:
        placed = False
        for name, messages in exc.field_errors.items():
            field = self.service_field_names.get(name, name)
            if field in self.fields:
                for message in messages:
                    self.add_error(field, message)
                placed = True
        if not placed:
            self.add_error(None, exc.message)
