"""Log-in lockouts: per user name and address, and per address whatever the names.

AXES_LOCKOUT_PARAMETERS has django-axes count failures for both combinations, but
django-axes compares the larger count with one limit. Guessing one name's password and
trying one password on many names need different limits, so this handler gives each
combination its own: AXES_FAILURE_LIMIT for a user name from an address,
AXES_ADDRESS_FAILURE_LIMIT (higher: colleagues behind one office address all count) for
every name from the address. Both counts cover the cool-off time only.
"""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit, get_lockout_parameters
from django.conf import settings
from django.db.models import Sum

PER_USER = ("ip_address", "username")
PER_ADDRESS = ("ip_address",)


def combination(parameter):
    """A lockout parameter ("ip_address" or ["username", "ip_address"]) as a sorted tuple."""
    return (parameter,) if isinstance(parameter, str) else tuple(sorted(parameter))


class LockoutHandler(AxesDatabaseHandler):
    def attempts_by_combination(self, request, credentials=None, *, unexpired=True):
        """{combination: the AccessAttempt rows it matches for this request}."""
        find = self.get_user_attempts if unexpired else self.filter_user_attempts
        parameters = get_lockout_parameters(request, credentials)
        return {
            combination(parameter): attempts
            for parameter, attempts in zip(parameters, find(request, credentials), strict=True)
        }

    def get_failures(self, request, credentials=None):
        """The failures that count against this request, on AXES_FAILURE_LIMIT's scale:
        the user name's failures from the address, or the limit itself once the address
        reached its own limit. django-axes compares this number with AXES_FAILURE_LIMIT
        both before a log-in and after a failure."""
        counts = {
            key: attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for key, attempts in self.attempts_by_combination(request, credentials).items()
        }
        per_user = counts.get(PER_USER, 0)
        address_locked = counts.get(PER_ADDRESS, 0) >= settings.AXES_ADDRESS_FAILURE_LIMIT
        # The lockout page says which of the two locks applies.
        request.address_locked_out = address_locked
        if address_locked:
            return max(per_user, get_failure_limit(request, credentials))
        return per_user

    def reset_user_attempts(self, request, credentials=None):
        """A successful log-in clears that user name's failures from the address, not
        the address's failures with other names: a colleague logging in from the same
        office address would otherwise clear an attacker's count."""
        attempts = self.attempts_by_combination(request, credentials, unexpired=False)
        if PER_USER not in attempts:
            return super().reset_user_attempts(request, credentials)
        count, _ = attempts[PER_USER].delete()
        return count
