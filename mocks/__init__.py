"""Mocked government services: identity (公安), market registration (市场监管), verification.

The other agencies the platform asks (issue 3; behaviours I1-1, I1-4, I2-2, I2-3,
A-3, A-4), each a Flask blueprint with its own URL prefix and JSON contract:
``identity`` (公安部人员基准信息), ``market`` (市场监管) and ``verification``
(人脸识别, 短信验证码, 滑块验证).  They keep per-sandbox facts, faults and a
request journal in the platform's database, and read the sandbox clock.

The simulator reaches them only through ``simulator/gateways.py`` over HTTP;
``mocks.transport`` routes those requests in-process (``responses``) or serves
the mocks on a real socket.  ``docs/mocks.md`` documents the contract, the fault
modes and the magic values.
"""
