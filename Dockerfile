# The Clinic image: `docker build -t clinic .` (see compose.yaml and the README's Containers).
# Stage 1 builds the wheel (templates, static files, migrations, compiled catalogs) and installs it
# with every locked dependency, checked against its hash, into /opt/clinic. Stage 2 is the slim
# runtime: that environment, the entry point and gunicorn's settings, a non-root user, no build tools.

ARG PYTHON_IMAGE=python:3.12-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY requirements.txt requirements-build.txt ./
RUN python -m venv /opt/build \
 && /opt/build/bin/pip install --require-hashes -r requirements-build.txt \
 && python -m venv /opt/clinic \
 && /opt/clinic/bin/pip install --require-hashes -r requirements.txt
COPY pyproject.toml setup.py README.md ./
COPY clinic ./clinic
COPY templates ./templates
COPY static ./static
COPY migrations ./migrations
RUN /opt/build/bin/pip wheel --no-deps --no-build-isolation -w /dist . \
 && /opt/clinic/bin/pip install --no-deps /dist/clinic-*.whl \
 && /opt/clinic/bin/python -c "import clinic, pathlib; p = pathlib.Path(clinic.__file__).parent; \
assert (p / 'translations/fr/LC_MESSAGES/messages.mo').is_file() and (p / 'templates/base.html').is_file()"

FROM ${PYTHON_IMAGE}
ENV PATH=/opt/clinic/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CLINIC_ENV=production \
    CLINIC_INSTANCE_PATH=/var/lib/clinic \
    FLASK_APP=clinic \
    PROMETHEUS_MULTIPROC_DIR=/tmp/clinic-metrics \
    PORT=8000
RUN groupadd --system --gid 10001 clinic \
 && useradd --system --uid 10001 --gid clinic --home-dir /var/lib/clinic --shell /usr/sbin/nologin clinic \
 && mkdir -p /var/lib/clinic \
 && chown clinic:clinic /var/lib/clinic
COPY --from=build /opt/clinic /opt/clinic
COPY docker/entrypoint.sh /app/docker/entrypoint.sh
COPY gunicorn.conf.py /app/gunicorn.conf.py
USER clinic:clinic
WORKDIR /var/lib/clinic
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=4)"]
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["serve"]
