"""Billed capacity by AWS's documented rules, from the items a run actually wrote and read.

DynamoDB Local's ``ConsumedCapacity`` is not AWS's bill (it counts 4 units per KB in a transaction
rather than 2, and equal-size items of one transaction once), so the bench computes the bill from
item sizes, with the rules of the DynamoDB Developer Guide:

- item size (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html):
  the sum of attribute names and values; strings and names their UTF-8 bytes, binary its raw bytes,
  numbers 1 byte per two significant digits + 1, null and Boolean 1 byte, a list or map 3 bytes +
  1 per element + its elements (a map's elements with their names);
- reads and writes (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html):
  a write unit per 1 KB of an item (rounded up per item; an update or a replacing put counts the
  larger of the item before and after), a read unit per 4 KB (strongly consistent; half for an
  eventually consistent read), transactional reads and writes twice that; ``BatchGetItem`` rounds
  each item, ``Query`` the sum of the items returned; a read of an item that does not exist still
  costs one unit of its kind;
- index writes (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html, "Provisioned
  throughput considerations"): a write that puts an item into an index costs one write of the
  projected item, one that takes it out one write, one that changes the index key two (delete +
  put), one that changes only projected attributes one, and one that changes nothing the index
  projects none. Index propagation is not part of the transaction, so it is billed at the standard
  rate (an assumption: the guide prices only the table's side of a transaction).

The pure functions take items in DynamoDB JSON (``{"pk": {"S": "..."}}``), as the low-level client
sends and receives them. ``CapacityRecorder`` captures them at the client: each request's items, the
items its response returned, and, for puts, the item as it was before (read with a separate client,
so that read is not part of any figure). The index definitions (keys, projection) come from
``template.yaml``, never from the item layout.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from infra.bench.hooks import Call, Recorder

KB = 1024
WRITE_UNIT_BYTES = KB
READ_UNIT_BYTES = 4 * KB

Item = dict[str, Any]  # DynamoDB JSON
Key = tuple[Any, ...]


# ---------------------------------------------------------------- item size


def number_size(text: str) -> int:
    """A number's bytes: 1 per two significant digits (leading and trailing zeros trimmed), + 1."""
    digits = str(Decimal(text).copy_abs()).lower()
    if "e" in digits:  # 1E+3: the mantissa holds the significant digits
        digits = digits.split("e", 1)[0]
    significant = digits.replace(".", "").strip("0")
    return math.ceil(len(significant) / 2) + 1


def _utf8(text: str) -> int:
    return len(text.encode("utf-8"))


def value_size(value: Item) -> int:
    """The bytes of one attribute value (without its name)."""
    ((kind, inner),) = value.items()
    if kind == "S":
        return _utf8(inner)
    if kind == "N":
        return number_size(inner)
    if kind == "B":
        return len(inner)
    if kind in ("NULL", "BOOL"):
        return 1
    if kind == "M":
        return 3 + sum(1 + _utf8(name) + value_size(v) for name, v in inner.items())
    if kind == "L":
        return 3 + sum(1 + value_size(v) for v in inner)
    if kind == "SS":
        return sum(_utf8(v) for v in inner)
    if kind == "NS":
        return sum(number_size(v) for v in inner)
    if kind == "BS":
        return sum(len(v) for v in inner)
    raise ValueError(f"unknown attribute type {kind!r}")


def item_size(item: Item | None) -> int:
    """An item's bytes: attribute names + values (0 for no item)."""
    if not item:
        return 0
    return sum(_utf8(name) + value_size(value) for name, value in item.items())


# ---------------------------------------------------------------- units


def write_units(size: int, *, transactional: bool = False) -> int:
    """Write units of one item write: 1 per KB, rounded up (at least 1); twice in a transaction."""
    units = max(1, math.ceil(size / WRITE_UNIT_BYTES))
    return 2 * units if transactional else units


def read_units(size: int, *, consistent: bool, transactional: bool = False) -> float:
    """Read units of reading ``size`` bytes at once: 1 per 4 KB, rounded up (at least 1), strongly
    consistent; half that eventually consistent; twice that transactional."""
    units = max(1, math.ceil(size / READ_UNIT_BYTES))
    if transactional:
        return 2.0 * units
    return float(units) if consistent else units / 2


def batch_get_units(sizes: list[int], *, consistent: bool) -> float:
    """``BatchGetItem``: each item rounded up on its own (a missing item still costs a unit)."""
    return sum(read_units(size, consistent=consistent) for size in sizes)


def query_units(sizes: list[int], *, consistent: bool) -> float:
    """``Query``: the sum of the items' sizes, rounded up once."""
    return read_units(sum(sizes), consistent=consistent)


# ---------------------------------------------------------------- indexes


@dataclass(frozen=True)
class Index:
    name: str
    keys: tuple[str, ...]  # the index's hash and range key attributes
    projection: str  # ALL, KEYS_ONLY or INCLUDE
    included: frozenset[str] = frozenset()

    def entry(self, item: Item | None, table_keys: tuple[str, ...]) -> Item | None:
        """The index's copy of ``item`` (None when the item is not in the index: a key is missing)."""
        if not item or any(k not in item for k in self.keys):
            return None
        if self.projection == "ALL":
            return item
        wanted = set(self.keys) | set(table_keys)
        if self.projection == "INCLUDE":
            wanted |= self.included
        return {k: v for k, v in item.items() if k in wanted}


@dataclass(frozen=True)
class Schema:
    """The table's key and its global secondary indexes, as ``template.yaml`` defines them."""

    table_keys: tuple[str, ...]
    indexes: tuple[Index, ...]

    @staticmethod
    def from_create_kwargs(kwargs: dict[str, Any]) -> Schema:
        def keys(schema: list[dict[str, str]]) -> tuple[str, ...]:
            return tuple(k["AttributeName"] for k in schema)

        indexes = tuple(
            Index(
                name=index["IndexName"],
                keys=keys(index["KeySchema"]),
                projection=index.get("Projection", {}).get("ProjectionType", "ALL"),
                included=frozenset(index.get("Projection", {}).get("NonKeyAttributes", ())),
            )
            for index in kwargs.get("GlobalSecondaryIndexes", [])
        )
        return Schema(keys(kwargs["KeySchema"]), indexes)

    def key_of(self, item: Item) -> Key:
        return tuple(_plain(item[k]) for k in self.table_keys)


def _plain(value: Item) -> Any:
    ((_, inner),) = value.items()
    return inner


def index_write_units(old: Item | None, new: Item | None, index: Index, table_keys: tuple[str, ...]) -> int:
    """The writes an index takes when an item goes from ``old`` to ``new`` (None: absent)."""
    before, after = index.entry(old, table_keys), index.entry(new, table_keys)
    if before is None and after is None:
        return 0
    if before is None:
        return write_units(item_size(after))
    if after is None:
        return write_units(item_size(before))
    if any(before[k] != after[k] for k in index.keys):
        return write_units(item_size(before)) + write_units(item_size(after))
    if before == after:
        return 0
    return write_units(max(item_size(before), item_size(after)))


# ---------------------------------------------------------------- one request's bill


@dataclass
class Bill:
    rcu: float = 0.0
    wcu: float = 0.0  # the table's
    index_wcu: float = 0.0
    # Of the above, what the books cost: the journal entries' writes (table and indexes) and the
    # condition on the books' lock.
    journal_wcu: float = 0.0
    check_wcu: float = 0.0
    local_units: float = 0.0  # DynamoDB Local's own figure
    # (key -> (size before, size after)) of every item the requests changed
    changed: dict[Key, tuple[int, int]] = field(default_factory=dict)
    read_sizes: list[int] = field(default_factory=list)  # items the reads returned
    consistent_reads: bool = True

    @property
    def total_wcu(self) -> float:
        return self.wcu + self.index_wcu

    def add(self, other: Bill) -> None:
        self.rcu += other.rcu
        self.wcu += other.wcu
        self.index_wcu += other.index_wcu
        self.journal_wcu += other.journal_wcu
        self.check_wcu += other.check_wcu
        self.local_units += other.local_units
        for key, (before, after) in other.changed.items():
            first = self.changed.get(key, (before, after))[0]
            self.changed[key] = (first, after)
        self.read_sizes += other.read_sizes
        self.consistent_reads = self.consistent_reads and other.consistent_reads


@dataclass
class Captured:
    """One request as the client sent it and what it found: the parameters, the items it returned,
    and (puts) the items as they were before it."""

    operation: str
    params: dict[str, Any]
    returned: list[Item] = field(default_factory=list)
    missing: int = 0  # keys asked for that were not found
    before: dict[Key, Item | None] = field(default_factory=dict)
    # (updates) the items as they were after it
    after: dict[Key, Item | None] = field(default_factory=dict)
    error: str | None = None
    local_units: float = 0.0


def _puts(captured: Captured) -> list[Item]:
    if captured.operation == "TransactWriteItems":
        return [t["Put"]["Item"] for t in captured.params.get("TransactItems", []) if "Put" in t]
    if captured.operation == "PutItem":
        return [captured.params["Item"]]
    return []


def _updates(captured: Captured) -> list[tuple[str, Item]]:
    """(table, key) of every item an UpdateItem or a transaction's Update changes."""
    if captured.operation == "TransactWriteItems":
        return [
            (t["Update"]["TableName"], t["Update"]["Key"])
            for t in captured.params.get("TransactItems", [])
            if "Update" in t
        ]
    if captured.operation == "UpdateItem":
        return [(captured.params["TableName"], captured.params["Key"])]
    return []


def _deletes(captured: Captured) -> list[Item]:
    """The keys a request deletes (a transaction's Delete actions, DeleteItem)."""
    if captured.operation == "TransactWriteItems":
        return [t["Delete"]["Key"] for t in captured.params.get("TransactItems", []) if "Delete" in t]
    if captured.operation == "DeleteItem":
        return [captured.params["Key"]]
    return []


def bill(captured: Captured, schema: Schema) -> Bill:
    """What AWS would bill for one request. A failed write is billed as its writes (a failed
    condition still consumes write capacity); a cancelled transaction is not billed here."""
    result = Bill(local_units=captured.local_units)
    operation, params = captured.operation, captured.params
    if operation == "BatchGetItem":
        consistent = all(t.get("ConsistentRead", False) for t in params["RequestItems"].values())
        sizes = [item_size(i) for i in captured.returned] + [0] * captured.missing
        result.rcu = batch_get_units(sizes, consistent=consistent)
        result.read_sizes = sizes[: len(captured.returned)]
        result.consistent_reads = consistent
    elif operation == "GetItem":
        consistent = bool(params.get("ConsistentRead", False))
        size = item_size(captured.returned[0]) if captured.returned else 0
        result.rcu = read_units(size, consistent=consistent)
        result.read_sizes = [size] if captured.returned else []
        result.consistent_reads = consistent
    elif operation in ("Query", "Scan"):
        consistent = bool(params.get("ConsistentRead", False))
        sizes = [item_size(i) for i in captured.returned]
        result.rcu = query_units(sizes, consistent=consistent)
        result.read_sizes = sizes
        result.consistent_reads = consistent
    elif operation in ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems"):
        transactional = operation == "TransactWriteItems"
        if transactional and captured.error == "TransactionCanceledException":
            return result
        for entry in params.get("TransactItems", []):
            if "ConditionCheck" in entry:
                # Billed as a transactional write of the item checked (assumed: the guide does not
                # price it apart); a lock copy is under 1 KB, 2 units. It changes nothing.
                checked = captured.before.get(schema.key_of(entry["ConditionCheck"]["Key"]))
                result.wcu += write_units(item_size(checked), transactional=True)
                result.check_wcu += write_units(item_size(checked), transactional=True)
            elif not {"Put", "Update", "Delete"} & set(entry):
                raise NotImplementedError(f"transaction action {next(iter(entry))} is not billed yet")
        for key_item in _deletes(captured):
            # A delete is billed the size of the item it removes (one unit if there was none).
            key = schema.key_of(key_item)
            old = captured.before.get(key)
            result.wcu += write_units(item_size(old), transactional=transactional)
            if captured.error is None and old:
                result.index_wcu += sum(
                    index_write_units(old, None, index, schema.table_keys) for index in schema.indexes
                )
                result.changed[key] = (item_size(old), 0)
        # An update is billed on the larger of the item before and after it (read around it).
        written = [(schema.key_of(item), item) for item in _puts(captured)] + [
            (
                schema.key_of(key),
                captured.after.get(schema.key_of(key), captured.before.get(schema.key_of(key))),
            )
            for _, key in _updates(captured)
        ]
        for key, item in written:
            old = captured.before.get(key)
            old_size, new_size = item_size(old), item_size(item)
            units = write_units(max(old_size, new_size), transactional=transactional)
            result.wcu += units
            if captured.error is None:
                index_units = sum(
                    index_write_units(old, item, index, schema.table_keys) for index in schema.indexes
                )
                result.index_wcu += index_units
                result.changed[key] = (old_size, new_size)
                if is_journal(key):
                    result.journal_wcu += units + index_units
    else:
        raise NotImplementedError(f"{operation} is not billed yet")
    return result


def is_journal(key: Key) -> bool:
    """A journal entry's item (its partition key starts JOURNAL#)."""
    return any(isinstance(part, str) and part.startswith("JOURNAL#") for part in key)


def without_journal(total: Bill) -> Bill:
    """``total`` as if the movement wrote no journal: its changed items without the entries."""
    changed = {key: sizes for key, sizes in total.changed.items() if not is_journal(key)}
    return Bill(
        rcu=total.rcu, changed=changed, read_sizes=total.read_sizes, consistent_reads=total.consistent_reads
    )


def floor(total: Bill) -> tuple[float, float]:
    """The least any design could be billed for the operation: (RCU, WCU).

    A mutation: each item it changed, read once (strongly consistent, the size before) if it
    existed, and written once (the larger of its sizes before and after, as any write of it is
    billed), in a transaction when more than one item changes;
    no index writes. A read: the items it returned, read once, at the consistency it used.
    """
    if total.changed:
        transactional = len(total.changed) > 1
        wcu = sum(write_units(max(sizes), transactional=transactional) for sizes in total.changed.values())
        rcu = sum(read_units(before, consistent=True) for before, _ in total.changed.values() if before)
        return rcu, float(wcu)
    return query_units(total.read_sizes, consistent=total.consistent_reads), 0.0


# ---------------------------------------------------------------- capture at the client


_KEY_CAPTURED = "bench_capacity_captured"


class CapacityRecorder(Recorder):
    """A ``Recorder`` (with ``ReturnConsumedCapacity=TOTAL``) that also keeps each request's items.

    ``reader`` is a separate client: before a put goes out, it reads (consistently) the items the
    put will replace, so a bill can use the larger size and the index changes. Its reads are not
    recorded.
    """

    def __init__(self, client: Any, reader: Any, schema: Schema) -> None:
        super().__init__(client, capacity=True, capture=False)
        self.reader = reader
        self.schema = schema
        self.captured: list[Captured] = []

    def __enter__(self) -> CapacityRecorder:
        super().__enter__()
        return self

    def reset(self) -> None:
        super().reset()
        with self._lock:
            self.captured = []

    def _before(self, params: dict[str, Any], model: Any, context: dict[str, Any], **kwargs: Any) -> None:
        super()._before(params=params, model=model, context=context, **kwargs)
        captured = Captured(model.name, copy.deepcopy(params))
        for item in [*_puts(captured), *_deletes(captured)]:
            table = captured.params.get("TableName") or self._table_of(captured, item)
            key = {k: item[k] for k in self.schema.table_keys}
            found = self.reader.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
            captured.before[self.schema.key_of(item)] = found
        for table, key in _updates(captured):
            found = self.reader.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
            captured.before[self.schema.key_of(key)] = found
        context[_KEY_CAPTURED] = captured
        with self._lock:
            self.captured.append(captured)

    @staticmethod
    def _table_of(captured: Captured, item: Item) -> str:
        for entry in captured.params.get("TransactItems", []):
            if entry.get("Put", {}).get("Item") is item:
                return str(entry["Put"]["TableName"])
            if entry.get("Delete", {}).get("Key") is item:
                return str(entry["Delete"]["TableName"])
        raise LookupError("no table for a put")

    def _after(self, parsed: dict[str, Any], context: dict[str, Any], **kwargs: Any) -> None:
        super()._after(parsed=parsed, context=context, **kwargs)
        captured: Captured | None = context.get(_KEY_CAPTURED)
        call: Call | None = context.get(self._key)
        if captured is None:
            return
        captured.local_units = call.capacity_units if call is not None else 0.0
        captured.error = parsed.get("Error", {}).get("Code")
        if captured.error is None:
            for table, key in _updates(captured):
                found = self.reader.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
                captured.after[self.schema.key_of(key)] = found
        if captured.operation == "BatchGetItem":
            asked = sum(len(t["Keys"]) for t in captured.params["RequestItems"].values())
            for items in parsed.get("Responses", {}).values():
                captured.returned += copy.deepcopy(items)
            unprocessed = sum(len(t.get("Keys", [])) for t in (parsed.get("UnprocessedKeys") or {}).values())
            captured.missing = asked - len(captured.returned) - unprocessed
        elif captured.operation == "GetItem":
            if "Item" in parsed:
                captured.returned = [copy.deepcopy(parsed["Item"])]
        elif captured.operation in ("Query", "Scan"):
            captured.returned = copy.deepcopy(parsed.get("Items", []))

    def total(self) -> Bill:
        total = Bill()
        for captured in self.captured:
            total.add(bill(captured, self.schema))
        return total


# ---------------------------------------------------------------- the bench section


def _run_scenarios(lines: int, page: int) -> list[tuple[str, Any]]:
    """The operations measured: (name, setup returning the request); ``lines`` per large document."""
    from infra.bench import round_trips as rt
    from infra.bench.context import invoice_body, new_account

    def create_invoice(count: int) -> Any:
        def setup(bench: Any) -> rt.Request:
            return "POST", "/invoices", invoice_body(new_account(), ["10.00"] * count), None

        return setup

    def apply_small_between_large(bench: Any) -> rt.Request:
        # One line's worth of credit between two large documents: their headers and one chunk each.
        account = new_account()
        invoice = bench.fixtures.invoice(account, ["10.00"] * lines, level="InvoiceLine")
        memo = bench.fixtures.memo(account, ["10.00"] * lines)
        body = {"applications": [{"invoiceId": invoice["id"], "amount": "10.00"}]}
        return "POST", f"/credit-memos/{memo['id']}/actions/apply", body, None

    def apply_spread(bench: Any) -> rt.Request:
        account = new_account()
        invoice = bench.fixtures.invoice(account, ["10.00"] * lines, level="InvoiceLine")
        memo = bench.fixtures.memo(account, ["10.00"] * lines)
        body = {"applications": [{"invoiceId": invoice["id"]}]}
        return "POST", f"/credit-memos/{memo['id']}/actions/apply", body, None

    def list_page(bench: Any) -> rt.Request:
        account = new_account()
        for _ in range(page):
            bench.fixtures.invoice(account, ["10.00"] * lines)
        return "GET", "/invoices", None, {"billingAccountId": account, "limit": page}

    def get_large(bench: Any) -> rt.Request:
        invoice = bench.fixtures.invoice(new_account(), ["10.00"] * lines)
        return "GET", f"/invoices/{invoice['id']}", None, None

    def pay_spread(bench: Any) -> rt.Request:
        invoice = bench.fixtures.invoice(new_account(), ["10.00"] * lines, level="InvoiceLine")
        body = {"amount": f"{10 * lines}.00", "paymentReference": f"wire-{new_account()}"}
        return "POST", f"/invoices/{invoice['id']}/actions/record-payment", body, None

    def write_off(bench: Any) -> rt.Request:
        invoice = rt._invoice(bench)
        body = {"invoices": [{"invoiceId": invoice["id"], "reasonCode": "BadDebt"}]}
        return "POST", "/invoices/actions/write-off", body, None

    def dry_run(setup: Callable[[Any], rt.Request]) -> Callable[[Any], rt.Request]:
        def dry_setup(bench: Any) -> rt.Request:
            method, path, body, query = setup(bench)
            return method, path, body, {**(query or {}), "dryRun": "true"}

        return dry_setup

    return [
        ("create invoice (1 line)", create_invoice(1)),
        (f"create invoice ({lines} lines)", create_invoice(lines)),
        ("post invoice", rt._post_invoice),
        ("create credit memo", rt._create_memo),
        ("post credit memo", rt._post_memo),
        ("void credit memo", rt._void_memo),
        ("apply (invoice level)", rt._apply),
        ("apply line (line level, 1 line)", rt._apply_line),
        (f"apply 10.00 between two {lines}-line documents (line level)", apply_small_between_large),
        (f"apply (line level, {lines}-line memo over {lines} lines)", apply_spread),
        ("unapply (invoice level)", rt._unapply),
        ("unapply line (line level)", rt._unapply_line),
        ("credit invoice (create + apply)", rt._credit_invoice),
        ("convert negative lines", rt._convert),
        ("record payment (invoice level)", rt._record_payment),
        (f"record payment (line level, all of {lines} lines)", pay_spread),
        ("reverse payment (invoice level)", rt._reverse_payment),
        ("invoice payment records (1 payment)", rt._invoice_payments),
        ("refund credit memo (1 line)", rt._refund),
        ("reverse refund", rt._reverse_refund),
        ("credit memo refund records (1 refund)", rt._memo_refunds),
        (f"list invoices (page of {page}, {lines} lines each)", list_page),
        ("get invoice (2 lines)", rt._get_invoice),
        (f"get invoice ({lines} lines)", get_large),
        ("write off (1 invoice, invoice level)", write_off),
        ("dry run: credit invoice (reads only)", dry_run(rt._credit_invoice)),
        ("dry run: write off (1 invoice, reads only)", dry_run(write_off)),
    ]


def _ratio(billed: float, least: float) -> float | None:
    return round(billed / least, 2) if least else None


def run(bench: Any) -> Any:
    import time

    from infra.bench.context import new_key
    from infra.bench.hooks import describe_calls
    from infra.bench.report import Section

    started = time.perf_counter()
    schema = Schema.from_create_kwargs(bench.template.tables()["CreditMemoTable"].create_kwargs)
    section = Section(
        "capacity",
        "1b. Billed capacity per operation by AWS's rules (from the items written and read) vs the floor",
        [
            ("operation", "operation"),
            ("calls", "requests [items]"),
            ("rcu", "RCU"),
            ("wcu", "WCU table"),
            ("index_wcu", "WCU indexes"),
            ("local", "DynamoDB Local RCU/WCU"),
            ("floor", "floor RCU/WCU"),
            ("read_ratio", "RCU / floor"),
            ("write_ratio", "WCU / floor"),
            ("key_extra", "+key RCU/WCU"),
            ("journal", "journal WCU (entries + lock check)"),
            ("floor_without_journal", "floor WCU without journal"),
        ],
    )
    with CapacityRecorder(bench.service_client(), bench.raw_client(), schema) as recorder:
        lines, page = (3, 3) if bench.smoke else (300, 20)
        for name, setup in _run_scenarios(lines, page):
            measured = {}
            for key in (None, new_key()):
                method, path, body, query = setup(bench)
                prepared = bench.api.prepare(method, path, body, key=key, query=query)
                recorder.reset()
                result = bench.api.send(prepared)
                if not 200 <= result.status < 300:
                    raise RuntimeError(f"{name}: {method} {path} answered {result.status}: {result.body}")
                if method == "GET":
                    key = None
                measured[key is not None] = (
                    recorder.total(),
                    recorder.summary(),
                    describe_calls(recorder.calls),
                )
                if method == "GET":
                    break
            total, summary, calls = measured[False]
            floor_rcu, floor_wcu = floor(total)
            bare_floor = floor(without_journal(total))[1]
            row: dict[str, Any] = {
                "operation": name,
                "calls": calls,
                "rcu": f"{total.rcu:g}",
                "wcu": f"{total.wcu:g}",
                "index_wcu": f"{total.index_wcu:g}",
                "billed_rcu": total.rcu,
                "billed_wcu": total.wcu,
                "billed_index_wcu": total.index_wcu,
                "total_wcu": total.total_wcu,
                "local": f"{summary['read_units']:g}/{summary['write_units']:g}",
                "local_rcu": summary["read_units"],
                "local_wcu": summary["write_units"],
                "floor": f"{floor_rcu:g}/{floor_wcu:g}",
                "floor_rcu": floor_rcu,
                "floor_wcu": floor_wcu,
                "read_ratio": _ratio(total.rcu, floor_rcu),
                "write_ratio": _ratio(total.total_wcu, floor_wcu),
                "changed_items": [list(sizes) for sizes in total.changed.values()],
                "read_sizes": total.read_sizes,
                "journal": f"{total.journal_wcu + total.check_wcu:g}",
                "journal_wcu": total.journal_wcu,
                "check_wcu": total.check_wcu,
                "floor_without_journal": f"{bare_floor:g}",
                "floor_wcu_without_journal": bare_floor,
            }
            if True in measured:
                keyed = measured[True][0]
                row["key_extra"] = f"+{keyed.rcu - total.rcu:g}/+{keyed.total_wcu - total.total_wcu:g}"
            section.rows.append(row)
    section.notes += [
        "RCU, WCU: what AWS would bill for the request without an Idempotency-Key, computed by "
        "infra/bench/capacity.py from the items the client sent and received (item size rules; "
        "1 KB write units and 4 KB read units rounded per item, per Query for a query; transactional "
        "writes 2x; eventually consistent reads 0.5x); a put counts the larger of the item before "
        "and after. WCU indexes: one write of the projected item per index whose entry the write "
        "adds, changes or removes (two when its key changes), projections from template.yaml.",
        "DynamoDB Local RCU/WCU: its own ReturnConsumedCapacity=TOTAL figure, which is not AWS's "
        "(a transaction counts 4 units per KB, equal-size items of one transaction once).",
        "floor: each item the operation changed, read once strongly consistent (if it existed) and "
        "written once (the larger of its sizes before and after; in a transaction when more than one "
        "item changes), no index writes; for a "
        "read, the items it returned read once at the consistency it used. Ratios are billed / floor "
        "(WCU: table + indexes).",
        "+key: what the same request with an Idempotency-Key adds (the key's read, its record's write).",
        "journal WCU: of the WCU above, what the books add to a money movement: its journal entry "
        "items (2 per KB in the transaction, plus the account index's copy) and the condition on its "
        "copy of the books' lock (billed as a transactional write of that item, an assumption). "
        "floor WCU without journal: the floor of the same movement had it written no entry.",
    ]
    section.seconds = time.perf_counter() - started
    return section
