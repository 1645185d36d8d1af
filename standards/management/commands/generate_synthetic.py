from django.core.management.base import BaseCommand, CommandError

from standards import synthetic


class Command(BaseCommand):
    help = (
        "Generate synthetic standards, clauses, limits and clause mappings (keys SYN-000001 …) "
        "for load tests and benchmarks. Deterministic for a seed. Each run replaces all "
        "earlier synthetic data (standards keyed syn-…, mappings keyed SYN-…) in one "
        "transaction, so re-running with the same --mappings and --seed gives the same data; "
        "real data is not touched. --clear only deletes the synthetic data."
    )

    def add_arguments(self, parser):
        action = parser.add_mutually_exclusive_group(required=True)
        action.add_argument(
            "--mappings",
            type=int,
            metavar="N",
            help=f"number of mappings to generate (1 to {synthetic.MAX_MAPPINGS:,})",
        )
        action.add_argument(
            "--clear", action="store_true", help="delete the synthetic data and generate nothing"
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=synthetic.DEFAULT_SEED,
            help=f"random seed (default {synthetic.DEFAULT_SEED})",
        )

    def handle(self, *args, mappings, clear, seed, **options):
        if clear:
            from django.db import transaction

            with transaction.atomic():
                removed = synthetic.clear()
            self.stdout.write(f"Synthetic data deleted ({removed:,} mappings).")
            return
        try:
            summary = synthetic.generate(mappings, seed)
        except synthetic.SyntheticDataError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(summary.line(seed))
