"""The local stack against the real servers it starts: what the integration tests rely on."""

from __future__ import annotations

import shutil

import psycopg
import pytest
import redis
from confluent_kafka import Consumer, KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from libs.stack import FAST_GROUP_CONFIG, LocalStack, StackError, StackPorts, poll_until, unique
from tests.fixtures_stack import new_data_dir


def test_postgres_answers_and_create_databases_is_idempotent(stack: LocalStack) -> None:
    name = unique("depot_test").replace("-", "_")

    stack.create_databases([name, name])
    stack.create_databases([name])

    with psycopg.connect(stack.dsn(name)) as conn:
        assert conn.execute("SELECT current_database(), 1").fetchone() == (name, 1)
    assert stack.database_url(name) == f"postgresql+psycopg://postgres@127.0.0.1:{stack.ports.postgres}/{name}"


def test_start_again_is_a_no_op(stack: LocalStack) -> None:
    stack.start()

    with psycopg.connect(stack.dsn()) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_a_second_start_on_the_same_data_keeps_the_databases() -> None:
    data_dir = new_data_dir()
    name = unique("kept").replace("-", "_")
    try:
        with LocalStack(data_dir, StackPorts.free(), durable=False) as first:
            first.create_databases([name])
        with LocalStack(data_dir, StackPorts.free(), durable=False) as second:
            with psycopg.connect(second.dsn(name)) as conn:
                assert conn.execute("SELECT current_database()").fetchone() == (name,)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def test_redis_answers_ping(stack: LocalStack) -> None:
    client = redis.Redis.from_url(stack.redis_url)
    key = unique("key")

    assert client.ping()
    client.set(key, "value", ex=60)
    assert client.get(key) == b"value"
    client.close()


def test_broker_carries_a_message_from_producer_to_consumer_group(stack: LocalStack) -> None:
    topic = unique("depot.test")
    _create_topic(stack, topic)

    _produce(stack, topic, b"order-1", b"hello")

    assert _consume_one(stack, topic) == (b"order-1", b"hello")


def test_broker_comes_back_after_an_outage(stack: LocalStack) -> None:
    stack.stop_broker()
    with pytest.raises(KafkaException):
        AdminClient({"bootstrap.servers": stack.kafka_bootstrap}).list_topics(timeout=1)

    stack.start_broker()

    # Storage is in memory: the topic is created again, and the producer is a new one.
    topic = unique("depot.test")
    _create_topic(stack, topic)
    _produce(stack, topic, b"k", b"after restart")
    assert _consume_one(stack, topic) == (b"k", b"after restart")


def test_a_port_already_in_use_is_refused_naming_the_variable(stack: LocalStack, tmp_path) -> None:
    clash = LocalStack(tmp_path, StackPorts(postgres=stack.ports.postgres, redis=1, kafka=1))

    with pytest.raises(StackError, match=rf"port {stack.ports.postgres} .*postgres server.*DEPOT_PG_PORT"):
        clash.start()


def _create_topic(stack: LocalStack, topic: str) -> None:
    admin = AdminClient({"bootstrap.servers": stack.kafka_bootstrap})
    for future in admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)]).values():
        future.result(timeout=10)


def _produce(stack: LocalStack, topic: str, key: bytes, value: bytes) -> None:
    producer = Producer({"bootstrap.servers": stack.kafka_bootstrap, "enable.idempotence": True, "acks": "all"})
    producer.produce(topic, key=key, value=value)
    assert producer.flush(10) == 0


def _consume_one(stack: LocalStack, topic: str) -> tuple[bytes, bytes]:
    consumer = Consumer({
        "bootstrap.servers": stack.kafka_bootstrap,
        "group.id": unique("group"),
        "auto.offset.reset": "earliest",
        **FAST_GROUP_CONFIG,
    })
    consumer.subscribe([topic])
    try:
        message = poll_until(lambda: _message(consumer), timeout=30, message=f"a message on {topic}")
    finally:
        consumer.close()
    return message.key(), message.value()


def _message(consumer: Consumer):
    message = consumer.poll(0.2)
    if message is None or message.error():
        return None
    return message


def test_ports_come_from_the_environment_and_bad_values_name_the_variable() -> None:
    assert StackPorts.from_env({"DEPOT_PG_PORT": "6543"}) == StackPorts(postgres=6543, redis=6379, kafka=9092)

    with pytest.raises(StackError, match="DEPOT_KAFKA_PORT='kafka'"):
        StackPorts.from_env({"DEPOT_KAFKA_PORT": "kafka"})
