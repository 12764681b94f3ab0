"""The bench's capacity calculator (infra/bench/capacity.py) against AWS's published rules and examples.

Sources (Amazon DynamoDB Developer Guide):
- [sizes] https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
- [rw] https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html
- [pricing] https://aws.amazon.com/dynamodb/pricing/on-demand/ (read and write request units)
- [gsi] https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html
  ("Provisioned throughput considerations for global secondary indexes", writes)
"""

from __future__ import annotations

import pytest

from infra.bench.capacity import (
    KB,
    Captured,
    Index,
    Schema,
    batch_get_units,
    bill,
    floor,
    index_write_units,
    item_size,
    number_size,
    query_units,
    read_units,
    write_units,
)
from infra.local.template import Template

TABLE_KEYS = ("pk", "sk")
GSI = Index("GSI1", ("gpk", "gsk"), "ALL")
KEYS_ONLY = Index("GSI2", ("gpk", "gsk"), "KEYS_ONLY")


def _s(size: int) -> dict[str, str]:
    return {"S": "x" * size}


def _item_of(size: int, **extra: dict[str, str]) -> dict[str, object]:
    """An item of exactly ``size`` bytes: pk "a" (1 + 1), sk "b" (1 + 1), d (1 + the rest)."""
    item: dict[str, object] = {"pk": {"S": "a"}, "sk": {"S": "b"}, **extra}
    rest = size - item_size(item) - 1
    item["d"] = _s(rest)
    assert item_size(item) == size
    return item


# ---------------------------------------------------------------- [sizes]


def test_a_string_is_its_name_and_value_in_utf8_bytes() -> None:
    assert item_size({"Id": {"S": "abc"}}) == 2 + 3
    assert item_size({"name": {"S": "é€"}}) == 4 + 2 + 3  # UTF-8: é is 2 bytes, € 3


def test_a_number_is_one_byte_per_two_significant_digits_plus_one() -> None:
    assert number_size("12345") == 3 + 1
    assert number_size("1234") == 2 + 1
    # leading and trailing zeros are trimmed
    assert number_size("000120.5000") == number_size("1205")
    assert number_size("-1.5") == 1 + 1
    assert item_size({"n": {"N": "100"}}) == 1 + 1 + 1


def test_binary_counts_raw_bytes_null_and_boolean_one_byte() -> None:
    assert item_size({"b": {"B": b"\x00\x01\x02"}}) == 1 + 3
    assert item_size({"flag": {"BOOL": True}, "none": {"NULL": True}}) == (4 + 1) + (4 + 1)


def test_lists_and_maps_cost_three_bytes_and_one_per_element() -> None:
    assert item_size({"l": {"L": []}}) == 1 + 3
    assert item_size({"m": {"M": {}}}) == 1 + 3
    assert item_size({"l": {"L": [{"S": "ab"}, {"S": "c"}]}}) == 1 + 3 + (1 + 2) + (1 + 1)
    # a map's elements carry their names
    assert item_size({"m": {"M": {"k": {"S": "v"}}}}) == 1 + 3 + (1 + 1 + 1)


# ---------------------------------------------------------------- [rw], [pricing]


def test_reads_round_up_to_4_kb() -> None:
    # [rw] "reading a 3,500-byte item consumes the same throughput as reading a 4 KB item"
    assert read_units(3500, consistent=True) == read_units(4 * KB, consistent=True) == 1
    # [rw] "if your item size is 8 KB, you require 2 read units to sustain one strongly consistent
    # read ... 1 read unit if you choose eventually consistent reads or 4 read units for a
    # transactional read request"
    assert read_units(8 * KB, consistent=True) == 2
    assert read_units(8 * KB, consistent=False) == 1
    assert read_units(8 * KB, consistent=True, transactional=True) == 4
    # [rw] GetItem: "If you read a 10 KB item, DynamoDB rounds the item size to 12 KB."
    assert read_units(10 * KB, consistent=True) == 3


def test_a_batch_get_rounds_each_item_a_query_the_sum() -> None:
    # [rw] BatchGetItem of 1.5 KB and 6.5 KB items: "12 KB (4 KB + 8 KB)", not 8 KB
    assert batch_get_units([int(1.5 * KB), int(6.5 * KB)], consistent=True) == 3
    assert query_units([int(1.5 * KB), int(6.5 * KB)], consistent=True) == 2
    assert query_units([int(1.5 * KB), int(6.5 * KB)], consistent=False) == 1
    # [rw] a read of an item that does not exist still consumes read throughput
    assert batch_get_units([0], consistent=True) == 1


def test_writes_round_up_to_1_kb_and_double_in_a_transaction() -> None:
    # [pricing] "a standard write request of a 1 KB item requires one write request unit, a
    # standard write request of a 3 KB item requires three write request units, and a
    # transactional write request of a 3 KB item requires six write request units"
    assert write_units(1 * KB) == 1
    assert write_units(3 * KB) == 3
    assert write_units(3 * KB, transactional=True) == 6
    assert write_units(1 * KB + 1) == 2
    assert write_units(10) == 1


def test_a_replacing_put_counts_the_larger_of_the_item_before_and_after() -> None:
    # [rw] PutItem: "the item size that matters is the larger of the two"
    schema = Schema(TABLE_KEYS, ())
    new = _item_of(500)
    old = _item_of(2500)
    captured = Captured("PutItem", {"TableName": "t", "Item": new}, before={("a", "b"): old})
    assert bill(captured, schema).wcu == 3


# ---------------------------------------------------------------- [gsi]


def test_index_writes_follow_the_projected_item() -> None:
    a = _item_of(700, gpk={"S": "A"}, gsk={"S": "1"})
    a_changed = dict(a, d={"S": "y" * 10})
    b = dict(a, gpk={"S": "B"})
    unindexed = _item_of(700)
    # a new item that defines the index keys: one write
    assert index_write_units(None, a, GSI, TABLE_KEYS) == 1
    # "If an update to the table changes the value of an indexed key attribute (from A to B), two
    # writes are required, one to delete the previous item from the index and another write to put
    # the new item into the index."
    assert index_write_units(a, b, GSI, TABLE_KEYS) == 2
    # the index key removed: one write (the delete)
    assert index_write_units(a, unindexed, GSI, TABLE_KEYS) == 1
    # "If an item is not present in the index before or after the item is updated, there is no
    # additional write cost for the index."
    assert index_write_units(unindexed, unindexed, GSI, TABLE_KEYS) == 0
    # only projected attributes change: one write; nothing projected changes: none
    assert index_write_units(a, a_changed, GSI, TABLE_KEYS) == 1
    assert index_write_units(a, a_changed, KEYS_ONLY, TABLE_KEYS) == 0
    # larger index entries take more write units
    big = _item_of(3 * KB, gpk={"S": "A"}, gsk={"S": "1"})
    assert index_write_units(None, big, GSI, TABLE_KEYS) == 3
    assert index_write_units(None, big, KEYS_ONLY, TABLE_KEYS) == 1


def test_a_transaction_bills_each_put_twice_and_each_index_once() -> None:
    schema = Schema(TABLE_KEYS, (GSI,))
    doc_old = _item_of(1500, gpk={"S": "A"}, gsk={"S": "1"})
    doc_new = dict(doc_old, d={"S": "z" * 1480})  # still indexed, same keys, changed
    created = {"pk": {"S": "c"}, "sk": {"S": "d"}, "v": {"S": "w" * 100}}  # not indexed
    params = {
        "TransactItems": [
            {"Put": {"TableName": "t", "Item": doc_new}},
            {"Put": {"TableName": "t", "Item": created}},
        ]
    }
    result = bill(Captured("TransactWriteItems", params, before={("a", "b"): doc_old}), schema)
    assert result.wcu == 2 * 2 + 2 * 1
    assert result.index_wcu == 2
    # the floor: each changed item read once (if it existed) and written once in a transaction
    assert floor(result) == (1.0, 2 * 2 + 2 * 1)


def test_the_schema_is_read_from_the_template() -> None:
    table = Template.load().tables()["CreditMemoTable"]
    schema = Schema.from_create_kwargs(table.create_kwargs)
    assert schema.table_keys == tuple(k["AttributeName"] for k in table.create_kwargs["KeySchema"])
    assert [i.name for i in schema.indexes] == [
        i["IndexName"] for i in table.create_kwargs["GlobalSecondaryIndexes"]
    ]


def test_an_update_counts_the_larger_of_the_item_before_and_after_it() -> None:
    schema = Schema(TABLE_KEYS, ())
    before, after = _item_of(900), _item_of(1100)
    key = {"pk": {"S": "a"}, "sk": {"S": "b"}}
    params = {"TransactItems": [{"Update": {"TableName": "t", "Key": key, "UpdateExpression": "ADD n :1"}}]}
    captured = Captured("TransactWriteItems", params, before={("a", "b"): before}, after={("a", "b"): after})
    assert bill(captured, schema).wcu == 2 * 2  # 1,100 bytes: 2 units, twice in a transaction
    alone = Captured(
        "UpdateItem", {"TableName": "t", "Key": key}, before={("a", "b"): None}, after={("a", "b"): before}
    )
    assert bill(alone, schema).wcu == 1


def test_a_delete_in_a_transaction_is_billed_the_item_it_removes_and_its_index_entry() -> None:
    old = _item_of(3000, gpk={"S": "g"}, gsk={"S": "s"})
    params = {"TransactItems": [{"Delete": {"TableName": "t", "Key": {"pk": {"S": "a"}, "sk": {"S": "b"}}}}]}
    schema = Schema(TABLE_KEYS, (GSI,))
    result = bill(Captured("TransactWriteItems", params, before={("a", "b"): old}), schema)
    assert (result.wcu, result.index_wcu) == (6, 3)  # 2 x 3 KB; the index copy (ALL) removed
    assert result.changed == {("a", "b"): (3000, 0)}
    absent = bill(Captured("TransactWriteItems", params, before={("a", "b"): None}), schema)
    assert (absent.wcu, absent.index_wcu, absent.changed) == (2, 0, {})


@pytest.mark.parametrize("operation", ["BatchWriteItem", "ExecuteStatement"])
def test_operations_it_cannot_bill_are_refused_rather_than_guessed(operation: str) -> None:
    with pytest.raises(NotImplementedError):
        bill(Captured(operation, {}), Schema(TABLE_KEYS, ()))
