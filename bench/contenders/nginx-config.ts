/**
 * The nginx.conf the bench writes for every nginx it runs (bench/contenders/nginx.ts, the nginx contender;
 * bench/contenders/front.ts, the front of the replicas measure): one worker, no daemon, pid, logs and temp
 * files in the run's temporary prefix, one upstream with keep-alive, a health location, and `location /`
 * proxying to the upstream over HTTP/1.1 keep-alive without response buffering. The callers give only
 * what differs: the upstream's servers, the health path, and the proxy directives of `location /`.
 */

export interface NginxConfigOptions {
  /** The file that writes this config, named in its first line. */
  writtenBy: string;
  /** The temporary prefix (nginx -p): pid, error log and temp paths. */
  prefix: string;
  port: number;
  upstream: {
    name: string;
    /** One `server` directive each, without `server` and `;`: "127.0.0.1:8080 max_fails=0". */
    servers: string[];
  };
  /** Answered 200 'ok' by nginx itself, for the wait until it listens. */
  healthPath: string;
  /** The directives of `location /` between the Connection header and the timeouts (without `;`). */
  proxy: string[];
  /** proxy_connect_timeout, proxy_read_timeout and proxy_send_timeout. */
  timeoutMs: number;
}

export function nginxConfig(options: NginxConfigOptions): string {
  const { prefix, upstream, timeoutMs } = options;
  const servers = upstream.servers.map((server) => `    server ${server};`).join('\n');
  const proxy = options.proxy.map((directive) => `      ${directive};`).join('\n');
  return `# written by ${options.writtenBy}
worker_processes 1;
daemon off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log error;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${prefix}/client_body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  client_max_body_size 32m;
  upstream ${upstream.name} {
${servers}
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${options.port};
    location = ${options.healthPath} { return 200 'ok'; }
    location / {
      proxy_pass http://${upstream.name};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
${proxy}
      proxy_connect_timeout ${timeoutMs}ms;
      proxy_read_timeout ${timeoutMs}ms;
      proxy_send_timeout ${timeoutMs}ms;
      proxy_buffering off;
    }
  }
}
`;
}
