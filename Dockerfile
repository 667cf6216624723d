# Redoubt in a container: for evaluation and development only. The product is the VM image
# (image/build.sh): it adds the firewall, the data disk, the hardened systemd unit and the console
# banner. Build and run:
#   docker build -t redoubt .
#   docker run -d --name redoubt -v redoubt-data:/var/lib/redoubt \
#     -p 443:443 -p 514:514/udp -p 514:514 -p 6514:6514 -p 2514:2514 -p 24224:24224 redoubt
#   docker logs redoubt          # the one-time setup code is printed there on first start
#   docker exec redoubt redoubt token list      # admin commands go through the admin socket
# The ports are the appliance's own (< 1024 for 443 and 514): Docker lets a non-root process bind
# them (it sets net.ipv4.ip_unprivileged_port_start=0 in the container); with an engine that does
# not, add --sysctl net.ipv4.ip_unprivileged_port_start=0.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Project files first, so the restore layer is reused while only code changes.
COPY Directory.Build.props ./
COPY storage/Redoubt.Storage.csproj storage/
COPY appliance/Redoubt.Appliance.csproj appliance/
RUN dotnet restore appliance/Redoubt.Appliance.csproj
COPY storage/ storage/
COPY appliance/ appliance/
COPY web-ui/ web-ui/
RUN dotnet publish appliance/Redoubt.Appliance.csproj -c Release --no-restore -o /out \
 && rm -f /out/*.pdb /out/appsettings.Development.json

FROM mcr.microsoft.com/dotnet/aspnet:10.0
# The same fixed uid as the VM image's service user (image/rootfs/usr/lib/sysusers.d/redoubt.conf).
RUN groupadd --system --gid 900 redoubt \
 && useradd --system --uid 900 --gid redoubt --home-dir /var/lib/redoubt --shell /usr/sbin/nologin redoubt \
 && install -d -o redoubt -g redoubt -m 0750 /var/lib/redoubt \
 && install -d -m 0755 /etc/redoubt/rules
COPY --from=build /out /usr/lib/redoubt
RUN printf '#!/bin/sh\nexec dotnet /usr/lib/redoubt/redoubt.dll "$@"\n' > /usr/local/bin/redoubt && chmod 0755 /usr/local/bin/redoubt
# The appliance's ports and data directory, as in image/rootfs/etc/redoubt/redoubt.json.
ENV REDOUBT__DATADIR=/var/lib/redoubt \
    REDOUBT__HTTP=0.0.0.0:443 \
    REDOUBT__SYSLOG__BIND=0.0.0.0:514 \
    REDOUBT__SYSLOGTLS__BIND=0.0.0.0:6514 \
    REDOUBT__RELP__BIND=0.0.0.0:2514 \
    REDOUBT__FORWARD__BIND=0.0.0.0:24224 \
    DOTNET_EnableDiagnostics=0
EXPOSE 443/tcp 514/tcp 514/udp 6514/tcp 2514/tcp 24224/tcp
VOLUME /var/lib/redoubt
USER redoubt
WORKDIR /var/lib/redoubt
STOPSIGNAL SIGTERM
ENTRYPOINT ["redoubt"]
CMD ["run"]
